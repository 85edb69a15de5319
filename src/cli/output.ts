/**
 * Human output by default, JSON for scripts; errors and notes go to stderr. Everything
 * printed passes through `printable` (or, for JSON, `jsonText`), because names and
 * messages come from the service, and names stored before 1.1 may hold line breaks or
 * bidi controls that would forge a row of a listing or show text reversed.
 */

/**
 * What a terminal would act on instead of showing: C0 and C1 controls (line breaks,
 * escape sequences), DEL, the line and paragraph separators, and the bidirectional
 * controls and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C).
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `s` with every control character shown as an escape (`\n`, `\u202e`), so what is printed is what is there. */
export function printable(s: string): string {
  return s.replace(CONTROL, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** True when `s` holds a character `printable` would escape. */
export function hasControl(s: string): boolean {
  return new RegExp(CONTROL.source).test(s);
}

/** What JSON.stringify leaves raw inside strings (it escapes C0 itself, and its own line breaks are layout). */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** JSON whose text holds no control character either: the same value, those characters written as \uXXXX. */
export function jsonText(data: unknown): string {
  return JSON.stringify(data, null, 2).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Lines made printable one by one: a string is one line, whatever it holds. */
function printableLines(human: string | string[]): string {
  return (Array.isArray(human) ? human : [human]).map(printable).join("\n");
}

export interface Streams {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Where a destructive command reads its confirmation; absent, it needs --yes. */
  stdin?: NodeJS.ReadableStream;
}

export class Output {
  constructor(readonly streams: Streams, readonly json: boolean) {}

  /** The command's result: `human` lines for people, `data` as JSON with --json. */
  result(human: string | string[], data: unknown): void {
    if (this.json) this.streams.stdout.write(jsonText(data) + "\n");
    else this.streams.stdout.write(printableLines(human) + "\n");
  }

  /** A remark for people (progress, hints); silent with --json so stdout stays parseable. */
  note(message: string): void {
    if (!this.json) this.streams.stderr.write(printable(message) + "\n");
  }

  /** A warning, shown in both modes on stderr. */
  warn(message: string): void {
    this.streams.stderr.write(`warning: ${printable(message)}\n`);
  }

  /** A failure: lines for people, or the error's JSON with --json; on stderr. */
  error(human: string[], data: unknown): void {
    this.streams.stderr.write((this.json ? jsonText(data) : printableLines(human)) + "\n");
  }
}

/** Columns aligned with two spaces between them; the header is underlined by nothing but its place. */
export function table(header: string[], cells: string[][]): string[] {
  const rows = cells.map((r) => r.map(printable)); // escaped before measuring, so the columns line up
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
