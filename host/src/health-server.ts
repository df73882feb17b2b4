import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import type { HealthReport } from "./health.ts";

/**
 * `/health` answers 200 while the process is alive and not failed (liveness); `/ready` answers
 * 200 only while it does its job (readiness). Both carry the same report, so a client learns
 * the status either way.
 */
export function createHealthApp(report: () => HealthReport): Hono {
  const app = new Hono();
  app.get("/health", (c) => {
    const body = report();
    return c.json(body, body.status === "failed" ? 503 : 200);
  });
  app.get("/ready", (c) => {
    const body = report();
    return c.json(body, body.status === "ready" ? 200 : 503);
  });
  return app;
}

export interface HealthServer {
  /** Base URL, e.g. http://127.0.0.1:8491 (the port as bound, when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the health app on `host:port` (port 0: any free one); resolves once listening. */
export function startHealthServer(
  report: () => HealthReport,
  port: number,
  host: string,
): Promise<HealthServer> {
  const app = createHealthApp(report);
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined;
    server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
      const s = server as ServerType;
      s.off("error", reject);
      const shownHost = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${shownHost}:${info.port}`,
        close: () => new Promise((done) => s.close(() => done())),
      });
    });
    server.once("error", reject);
  });
}
