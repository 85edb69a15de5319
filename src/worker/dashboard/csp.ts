/**
 * The dashboard's Content-Security-Policy, on every response it sends: no inline script
 * or style anywhere (the one script and the stylesheet are files on this origin), nothing
 * loaded from or sent to another host, forms post only here, and no page can be framed.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");
