import { createServer, type Server } from "node:net";

/**
 * `count` ports free on `host` now, each different: all are held open together while the OS
 * picks them, then released. Another process could take one before its service binds it; a
 * service that fails to bind exits, and is restarted on the same port.
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, host, () => {
            const address = server.address();
            if (address && typeof address === "object") resolve(address.port);
            else reject(new Error("no port"));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((done) => s.close(() => done(undefined)))));
  }
}
