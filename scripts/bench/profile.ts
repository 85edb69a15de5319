/**
 * Shares of the Worker isolate's time under load, from a V8 CPU profile: each sample
 * is charged to the first category its call stack matches, leaf first, so time spent
 * inside SQLite (under `exec`) counts as the pool's SQL and not as the route calling it.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** In priority order: the first that matches any frame of a sample's stack takes it. */
const CATEGORIES: [string, RegExp][] = [
  ["pool object: SQL and commit", /^(transactionSync|exec|one|toArray|raw|first|insertSeat|insertSession|joinSeat|writeInUse|recordUsage|logEvent|prune|session|sessionByInstance|activeSeatOf|seatById|endSession|keyHashOfGeneration|timer|setTimer|earliestTimer|forgetInstance)$/],
  ["pool object: decisions, ids, answers", /^(checkout|release|grant|refuse|setInUse|poolSummary|randomId|identityKey|fold|judgeCredentials|digestsEqual|versionAllowed|decideSeat|planCheckout|seatIdentity|seatTaken|syncAlarm|has)$/],
  ["token: sign / verify (Ed25519, JSON, base64url)", /^(signSessionToken|verifySessionToken|decodeJson|fromBase64url|encodeJson|base64url\d*|material|timeClaim|sign|verify)$/],
  ["serial and product key: parse, SHA-256", /^(sha256Hex|parseSerial|normalizeKey|checkChar|decodeNumber|digest)$/],
  ["zod: validation", /(_zod|safeParse|^parse$|runChecks)/],
  ["RPC stub to the pool object", /^(poolStub|idFromName|get)$/],
];

export function categorize(profile: CpuProfile): { category: string; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map<number, number>();
  for (const s of profile.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const totals = new Map<string, number>();
  for (const [id, count] of counts) {
    const stack: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur)!.callFrame.functionName);
    const leaf = stack[0]!;
    let category: string;
    if (leaf === "(idle)") category = "idle (waiting for work)";
    else if (leaf === "(garbage collector)") category = "garbage collection";
    else if (leaf === "(program)") category = "runtime, native (HTTP, RPC transport, not in JS)";
    else category = CATEGORIES.find(([, re]) => stack.some((f) => re.test(f)))?.[0] ?? "Worker: Hono routing, middleware, Request/Response, JSON, promise glue";
    totals.set(category, (totals.get(category) ?? 0) + count);
  }
  const total = profile.samples.length || 1;
  return [...totals].map(([category, n]) => ({ category, share: n / total })).sort((a, b) => b.share - a.share);
}
