/**
 * The dashboard's first line against cross-site form posts, before the SameSite=Strict
 * cookie and the per-session token (the same rule as Go's CrossOriginProtection).
 * Sec-Fetch-Site is set by the browser itself and cannot be forged by a page: when
 * present it decides. Browsers without it (Safari before 16.4) send Origin on every
 * POST, which must then be this origin. A request with neither is not from a browser
 * form, and the dashboard serves browsers only (scripts use the API).
 */
export function crossSiteReason(request: Request): string | null {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return site === "same-origin" ? null : `the browser marked it as ${site}`;
  const origin = request.headers.get("origin");
  if (origin === null) return "it carried neither Sec-Fetch-Site nor Origin";
  if (origin !== new URL(request.url).origin) return `it came from ${origin === "null" ? "an opaque origin" : origin}`;
  return null;
}
