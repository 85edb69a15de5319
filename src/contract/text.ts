import { z } from "zod";

/**
 * Characters no name may hold: C0 and C1 controls (a line break forges a row of a
 * listing), the line and paragraph separators, and the bidirectional controls (U+202E
 * shows a name reversed). A tab is allowed only around a value, where it is trimmed.
 */
const FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Zero-width characters that make two names look alike: removed before comparing. */
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/g;
const PRINTABLE_ASCII = /^[\t\x20-\x7e]*$/;
/** Full-width ASCII forms (Ｊｓｍｉｔｈ) compare as the ASCII they stand for, as Windows users see them. */
const FULL_WIDTH = /[\uff01-\uff5e]/g;

/** Printable text of 1..max characters that is not just white space (surrounding white space is ignored). */
export function text(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((s) => foldText(s).length > 0, { error: "must not be empty or white space only" })
    .refine((s) => !FORBIDDEN.test(s) && !s.trim().includes("\t"), { error: "must not contain control, line-break or bidirectional characters" })
    .refine((s) => !LONE_SURROGATE.test(s), { error: "must be well-formed Unicode" });
}

/**
 * A name as it is compared (users, machines, terminal sessions, groups): NFC, full-width
 * forms to ASCII, zero-width characters removed, case folded, trimmed. Stored and shown
 * values stay as the client sent them; only comparisons use this.
 */
export function foldText(s: string): string {
  // printable ASCII, nearly every name: nothing to normalise, and no character folds to two
  if (PRINTABLE_ASCII.test(s)) return s.toLowerCase().trim();
  return s
    .normalize("NFC")
    .replace(FULL_WIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(ZERO_WIDTH, "")
    .toUpperCase()
    .toLowerCase()
    .normalize("NFC")
    .trim();
}

/** A dotted number such as `16` or `16.0.2`. */
export const dottedVersion = z
  .string()
  .max(32)
  .regex(/^\d+(\.\d+)*$/, { error: "must be a dotted number such as 16.0.2" });

/**
 * Compares two dotted versions numerically, `16` equal to `16.0.0`, without
 * overflowing on long digit runs. Negative when a < b.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = (pa[i] ?? "0").replace(/^0+(?=\d)/, "");
    const y = (pb[i] ?? "0").replace(/^0+(?=\d)/, "");
    if (x.length !== y.length) return x.length - y.length;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
