import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";

/**
 * The Prometheus exporter behind our own HTTP server: the exporter's built-in server cannot
 * tell us which port it got when asked for port 0 (tests), and binds every interface by
 * default, where we want loopback unless configured otherwise.
 */
export interface MetricsServer {
  readonly reader: PrometheusExporter;
  /** Resolves with the scrape URL once listening. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export function createMetricsServer(port: number, host: string): MetricsServer {
  const reader = new PrometheusExporter({ preventServerStart: true });
  let server: Server | undefined;
  return {
    reader,
    listen() {
      server = createServer((req, res) => {
        if (req.url === "/metrics" || req.url?.startsWith("/metrics?")) {
          reader.getMetricsRequestHandler(req, res);
          return;
        }
        res.statusCode = 404;
        res.end("not found: metrics are at /metrics\n");
      });
      const s = server;
      return new Promise((resolve, reject) => {
        s.once("error", reject);
        s.listen(port, host, () => {
          const address = s.address() as AddressInfo;
          const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}/metrics`);
        });
      });
    },
    close() {
      const s = server;
      if (!s) return Promise.resolve();
      return new Promise((resolve) => s.close(() => resolve()));
    },
  };
}
