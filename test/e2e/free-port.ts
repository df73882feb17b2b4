import { createServer } from "node:net";

/**
 * A TCP port free on the loopback now. The stack is shared: a fixed port (the gateway's 8480)
 * is taken whenever another run is up on this machine.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
