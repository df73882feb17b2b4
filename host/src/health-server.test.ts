import { describe, expect, it } from "vitest";
import { type HealthReport, type HealthStatus, healthReport } from "./health.ts";
import { createHealthApp, startHealthServer } from "./health-server.ts";

const reportIn = (status: HealthStatus): HealthReport => ({
  service: "fence-svc",
  status,
  pid: 4242,
  metrics: "http://127.0.0.1:9474/metrics",
  startedAt: "2026-12-06T10:00:00.000Z",
});

describe("a hosted process's health endpoints", () => {
  it.each([
    ["starting", 200, 503],
    ["ready", 200, 200],
    ["stopping", 200, 503],
    ["failed", 503, 503],
  ] as const)(
    "while %s: /health %i, /ready %i, both with the report",
    async (status, health, ready) => {
      const app = createHealthApp(() => reportIn(status));
      const h = await app.request("/health");
      const r = await app.request("/ready");
      expect([h.status, r.status]).toEqual([health, ready]);
      for (const res of [h, r])
        expect(healthReport.parse(await res.json())).toEqual(reportIn(status));
    },
  );

  it("listens on the port it is given, or on a free one for port 0, and says which", async () => {
    const server = await startHealthServer(() => reportIn("ready"), 0, "127.0.0.1");
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${server.url}/ready`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as HealthReport).pid).toBe(4242);
    } finally {
      await server.close();
    }
  });
});
