import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { startProbe, summarizeProbes } from "./probe.ts";

describe("probe", () => {
  it("reports the longest streak of failed probes", () => {
    const at = (startedAt: number, ok: boolean) => ({ startedAt, finishedAt: startedAt + 1, ok });
    const report = summarizeProbes("u", [
      at(0, true),
      at(10, false),
      at(20, false),
      at(30, true),
      at(40, false),
      at(50, false),
      at(60, false),
      at(70, true),
    ]);
    expect(report.failures).toBe(5);
    expect(report.longestFailStreak).toEqual({ count: 3, ms: 30, from: 40, to: 70 });
  });

  it("sees a server that stops answering", async () => {
    let answering = true;
    const server = createServer((_req, res) => {
      res.statusCode = answering ? 200 : 503;
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const probe = startProbe({ url: `http://127.0.0.1:${port}/health` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    answering = false;
    await new Promise((resolve) => setTimeout(resolve, 150));
    answering = true;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const report = await probe.stop();
    server.close();
    expect(report.probes).toBeGreaterThan(15);
    expect(report.longestFailStreak.count).toBeGreaterThanOrEqual(5);
    expect(report.longestFailStreak.ms).toBeGreaterThanOrEqual(100);
    expect(report.longestFailStreak.ms).toBeLessThan(400);
  });
});
