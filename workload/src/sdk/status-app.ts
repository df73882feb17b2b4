import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { HealthBody } from "@shadow/contract";
import { Hono } from "hono";
import type { WorkloadStatus } from "../types.ts";

export interface StatusSource {
  status(): WorkloadStatus;
}

/**
 * The workload's HTTP surface: `GET /status` (identity, mode, per-partition processed offsets,
 * counts, fence and handover timings; what restore-svc reads to compute the shadow's lag) and
 * `GET /health` (200 while the process is alive, fenced or idle included: being silent on
 * Kafka is not being down). Services add their own routes to the returned app.
 */
export function createStatusApp(workload: StatusSource): Hono {
  const app = new Hono();
  app.get("/health", (c) => {
    const { mode, identity } = workload.status();
    return c.json({ ok: true, mode, instance: identity?.instance ?? null } satisfies HealthBody);
  });
  app.get("/status", (c) => c.json(workload.status()));
  return app;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Serves an app on host:port (port 0: any free port). */
export function listen(app: Hono, options: { host: string; port: number }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: app.fetch, hostname: options.host, port: options.port },
      (info: AddressInfo) => {
        resolve({
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              // Probes keep connections alive; do not wait for them to go idle.
              if ("closeAllConnections" in server) server.closeAllConnections();
            }),
        });
      },
    );
    server.once("error", reject);
  });
}
