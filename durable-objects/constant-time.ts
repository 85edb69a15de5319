/** The one constant-time comparison of secrets' digests, for the pool object and the Worker alike. */

/** Equal-length strings (hex digests, HMACs) compared without an early exit. */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
