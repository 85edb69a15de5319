/**
 * The methods each known path serves, read from the app's registered routes (never a
 * hand-kept list), so a wrong method on a known path is 405 with `Allow`, not 404.
 */
import type { RouterRoute } from "hono/types";

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/** A Hono path (`/v1/pools/:poolId`, `*`) as a regular expression over a whole pathname. */
function pathPattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) => (part === "*" ? ".*" : part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}$`);
}

export function allowedMethods(routes: RouterRoute[]): (pathname: string) => string[] {
  let known: KnownPath[] | undefined;
  return (pathname) => {
    known ??= (() => {
      const byPath = new Map<string, Set<string>>();
      for (const r of routes) {
        if (r.method === "ALL") continue; // middleware and catch-alls, not a method a path serves
        const methods = byPath.get(r.path) ?? new Set<string>();
        methods.add(r.method.toUpperCase());
        if (r.method.toUpperCase() === "GET") methods.add("HEAD"); // Hono answers HEAD with the GET route
        byPath.set(r.path, methods);
      }
      return [...byPath].map(([path, methods]) => ({ pattern: pathPattern(path), methods }));
    })();
    const allowed = new Set<string>();
    for (const k of known) if (k.pattern.test(pathname)) for (const m of k.methods) allowed.add(m);
    return [...allowed].sort();
  };
}
