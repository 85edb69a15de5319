/** Human output by default, JSON for scripts; errors and notes go to stderr. */

export interface Streams {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export class Output {
  constructor(readonly streams: Streams, readonly json: boolean) {}

  /** The command's result: `human` lines for people, `data` as JSON with --json. */
  result(human: string | string[], data: unknown): void {
    if (this.json) this.streams.stdout.write(JSON.stringify(data, null, 2) + "\n");
    else this.streams.stdout.write((Array.isArray(human) ? human.join("\n") : human) + "\n");
  }

  /** A remark for people (progress, hints); silent with --json so stdout stays parseable. */
  note(message: string): void {
    if (!this.json) this.streams.stderr.write(message + "\n");
  }

  /** A warning, shown in both modes on stderr. */
  warn(message: string): void {
    this.streams.stderr.write(`warning: ${message}\n`);
  }
}

/** Columns aligned with two spaces between them; the header is underlined by nothing but its place. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `2026-11-27 14:03` in UTC: short, sortable, unambiguous across time zones. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace("T", " ");
}

/** "user on MACHINE (session)". */
export function who(user: string | null, machine: string | null, terminalSession?: string | null): string {
  if (!user && !machine) return "-";
  return `${user ?? "?"} on ${machine ?? "?"}${terminalSession ? ` (${terminalSession})` : ""}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
