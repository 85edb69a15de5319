/**
 * The failed-authentication limiter (Workers Rate Limiting, as miniflare runs it) counts
 * per fixed window of the clock: 60 s windows starting on the minute. A test that counts
 * up to the limit needs all its requests in one window, whatever the time it starts.
 */
const PERIOD_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const windowOf = (ms: number) => Math.floor(ms / PERIOD_MS);

/**
 * Runs `attempt` inside one limiter window: it starts at once when enough of the current
 * window is left, else at the next window's start; a run that still crossed into the next
 * window (a slow machine) is run again from a fresh window's start. `attempt` must use a
 * fresh client address each time and return what it saw; assert on the result.
 */
export async function inOneRateWindow<T>(attempt: () => Promise<T>, needMs = 20_000): Promise<T> {
  for (let run = 1; ; run++) {
    const left = PERIOD_MS - (Date.now() % PERIOD_MS);
    if (run > 1 || left < needMs) await sleep(PERIOD_MS - (Date.now() % PERIOD_MS) + 100);
    const window = windowOf(Date.now());
    const seen = await attempt();
    if (windowOf(Date.now()) === window || run === 3) return seen;
  }
}
