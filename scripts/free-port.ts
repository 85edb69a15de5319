/** Free local ports for servers the scripts and tests start on this machine. */
import { createServer } from "node:net";

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
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
