/** The service's published keys, cached in the user's config directory for offline token checks. */
import { createHash } from "node:crypto";
import path from "node:path";
import { Jwks } from "../../contract/index.js";
import type { JwksCache, JwksDocument } from "../token.js";
import { readIfExists, writePrivateFileAtomic } from "./atomic-file.js";

export class FileJwksCache implements JwksCache {
  constructor(readonly dir: string) {}

  private file(url: string): string {
    return path.join(this.dir, "jwks", `${createHash("sha256").update(url).digest("hex").slice(0, 16)}.json`);
  }

  async load(url: string): Promise<JwksDocument | undefined> {
    const text = await readIfExists(this.file(url)).catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const stored = JSON.parse(text) as { url?: unknown; jwks?: unknown };
      const parsed = Jwks.safeParse(stored.jwks);
      return stored.url === url && parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async save(url: string, jwks: JwksDocument): Promise<void> {
    await writePrivateFileAtomic(this.file(url), JSON.stringify({ url, fetchedAt: new Date().toISOString(), jwks }, null, 2) + "\n");
  }
}
