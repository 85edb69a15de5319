/**
 * The formats of pool ids, serial numbers, product keys and admin keys. All are
 * typable Crockford base32, accepted in any case, with or without dashes.
 *
 * pool id      G + 15 random            GK3M9Q2XB4TN8W1R   (first character: placement; G = global,
 *                                                          E = the EU jurisdiction, other letters reserved)
 * serial       SK + pool id + generation + check      SK-GK3M-9Q2X-B4TN-8W1R-1C
 * product key  25 random (125 bits)     XXXXX-XXXXX-XXXXX-XXXXX-XXXXX
 * admin key    AK + pool id + 25 random AK-GK3M-9Q2X-B4TN-8W1R-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX
 * staff token  ST + 25 random           ST-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (a vendor credential of one person's role)
 *
 * The serial and admin key carry the pool id, so the Worker finds the pool's object by
 * name with no directory look-up; the generation makes a reissued serial differ.
 */
import type { Region } from "../contract/schemas.js";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const VALUE = new Map([...ALPHABET].map((ch, i) => [ch, i]));
/** Where a pool's object lives, read from the first character of its id, so no request needs a look-up to find it. */
const PLACEMENT: Record<Region, string> = { global: "G", eu: "E" };
const POOL_ID = /^[GE][0-9A-HJKMNP-TV-Z]{15}$/;
const SECRET_LENGTH = 25;

export function randomChars(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let out = "";
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

/** Upper case, no dashes or spaces, and Crockford's look-alikes (O, I, L) read as digits. */
export function normalizeKey(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

function group(s: string, size: number): string {
  return s.match(new RegExp(`.{1,${size}}`, "g"))!.join("-");
}

function checkChar(s: string): string {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum = (sum + (i + 1) * (VALUE.get(s[i]!) ?? 0)) % 31;
  return ALPHABET[sum]!;
}

function encodeNumber(n: number): string {
  let out = "";
  do {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  } while (n > 0);
  return out;
}

function decodeNumber(s: string): number {
  let n = 0;
  for (const ch of s) n = n * 32 + VALUE.get(ch)!;
  return n;
}

export function newPoolId(region: Region = "global"): string {
  return PLACEMENT[region] + randomChars(15);
}

/** The region a well-formed pool id names. */
export function regionOf(poolId: string): Region {
  return poolId[0] === PLACEMENT.eu ? "eu" : "global";
}

export function parsePoolId(input: string): string | null {
  const id = normalizeKey(input);
  return POOL_ID.test(id) ? id : null;
}

export function formatSerial(poolId: string, generation: number): string {
  const body = "SK" + poolId + encodeNumber(generation);
  return `SK-${group(poolId, 4)}-${encodeNumber(generation)}${checkChar(body)}`;
}

export function parseSerial(input: string): { poolId: string; generation: number } | null {
  const s = normalizeKey(input);
  const m = /^SK([0-9A-Z]{16})([0-9A-HJKMNP-TV-Z]{1,6})([0-9A-Z])$/.exec(s);
  if (!m || !POOL_ID.test(m[1]!) || checkChar("SK" + m[1] + m[2]) !== m[3]) return null;
  return { poolId: m[1]!, generation: decodeNumber(m[2]!) };
}

export function newProductKey(): string {
  return group(randomChars(SECRET_LENGTH), 5);
}

export function newAdminKey(poolId: string): string {
  return `AK-${group(poolId, 4)}-${group(randomChars(SECRET_LENGTH), 5)}`;
}

/** An admin key's pool and its normalised form (what is hashed), or null if it is not one. */
export function parseAdminKey(input: string): { poolId: string; normalized: string } | null {
  const s = normalizeKey(input);
  const m = /^AK([0-9A-Z]{16})[0-9A-HJKMNP-TV-Z]{25}$/.exec(s);
  return m && POOL_ID.test(m[1]!) ? { poolId: m[1]!, normalized: s } : null;
}

export function newStaffToken(): string {
  return `ST-${group(randomChars(SECRET_LENGTH), 5)}`;
}

/** A staff token's normalised form (what is hashed), or null if it is not one. */
export function parseStaffToken(input: string): string | null {
  const s = normalizeKey(input);
  return /^ST[0-9A-HJKMNP-TV-Z]{25}$/.test(s) ? s : null;
}

/** A staff member's id: not a secret. */
export function newStaffId(): string {
  return "SF" + randomChars(14);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const encoder = new TextEncoder();

/** SHA-256 as hex: secrets carry ≥100 random bits, so a plain digest is enough to store. */
export async function sha256Hex(input: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(input)));
  let out = "";
  for (const b of digest) out += HEX[b];
  return out;
}

/** The vendor token reaches every pool: fewer characters than this and it is refused, locally and in the Worker. */
export const MIN_VENDOR_TOKEN_LENGTH = 32;
