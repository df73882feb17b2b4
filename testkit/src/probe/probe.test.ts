import { describe, expect, it, onTestFinished, vi } from "vitest";
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
    // Fake timers drive the 10 ms schedule and the clock, so the figures are exact, not a
    // machine's load.
    vi.useFakeTimers({ now: 0 });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    let answering = true;
    const probe = startProbe({ url: "http://probe.test/health", check: async () => answering });
    await vi.advanceTimersByTimeAsync(100);
    answering = false;
    await vi.advanceTimersByTimeAsync(150);
    answering = true;
    await vi.advanceTimersByTimeAsync(100);
    const report = await probe.stop();
    // One probe at the start and one every 10 ms after it, for 350 ms. The probe due at 100 ms
    // runs inside the first advance, still answered: 110 to 250 fail, 260 is answered again.
    expect(report.probes).toBe(36);
    expect(report.failures).toBe(15);
    expect(report.longestFailStreak).toEqual({ count: 15, ms: 150, from: 110, to: 260 });
  });

  it("counts a probe whose check throws as failed, with the timeout it was given", async () => {
    vi.useFakeTimers({ now: 0 });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const timeouts: number[] = [];
    const probe = startProbe({
      url: "http://probe.test/health",
      timeoutMs: 25,
      check: async (_url, timeoutMs) => {
        timeouts.push(timeoutMs);
        if (timeouts.length === 2 || timeouts.length === 3) throw new Error("connection refused");
        return true;
      },
    });
    await vi.advanceTimersByTimeAsync(40);
    const report = await probe.stop();
    expect(timeouts).toEqual([25, 25, 25, 25, 25]);
    expect(report.probes).toBe(5);
    expect(report.longestFailStreak).toMatchObject({ count: 2, ms: 20, from: 10, to: 30 });
  });
});
