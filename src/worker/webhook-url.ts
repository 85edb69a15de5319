/**
 * The webhook URL guard: a delivery is a request the service makes on a customer's behalf,
 * so it must not reach the service's own network. https only, and no literal private,
 * loopback or link-local address or `localhost`, unless ALLOW_INSECURE_WEBHOOKS=true.
 */
import { messages } from "../contract/messages.js";

function privateIPv4(host: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31)
    || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
}

function privateIPv6(host: string): boolean {
  if (!host.startsWith("[")) return false;
  const h = host.slice(1, -1).toLowerCase();
  if (h === "::" || h === "::1") return true;
  // IPv4-mapped (::ffff:a.b.c.d, which the URL parser writes as ::ffff:xxxx:xxxx)
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return privateIPv4(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  const first = parseInt(h.split(":")[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}

/** Null when `raw` may be a webhook URL, else the reason in the contract's words. */
export function webhookUrlProblem(raw: string, allowInsecure: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return messages.webhookUrlInvalid;
  }
  if (url.protocol !== "https:" && !(allowInsecure && url.protocol === "http:")) return messages.webhookUrlNotHttps;
  if (url.username || url.password) return messages.webhookUrlInvalid;
  if (allowInsecure) return null;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost") || privateIPv4(host) || privateIPv6(host)) return messages.webhookUrlPrivate(host);
  return null;
}
