/** Free local ports for servers the scripts and tests start on this machine. */
import { createServer } from "node:net";

/** Why a listen on host:port would fail now (`EADDRINUSE`, `EACCES`, …), or null when it would succeed. */
export function listenError(port: number, host = "127.0.0.1"): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    srv.listen(port, host, () => srv.close(() => resolve(null)));
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return (await listenError(port)) === null;
}

/**
 * A free port below Linux's ephemeral range (32768 and up), so the outgoing connections
 * of everything else on the machine cannot take it between this check and the bind.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portIsFree(port)) return port;
  }
}
