import { z } from "zod";

const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Printable text of 1..max characters that is not just white space (surrounding white space is ignored). */
export function text(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((s) => s.trim().length > 0, { error: "must not be empty or white space only" })
    .refine((s) => !CONTROL.test(s.trim()), { error: "must not contain control characters" })
    .refine((s) => !LONE_SURROGATE.test(s), { error: "must be well-formed Unicode" });
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
