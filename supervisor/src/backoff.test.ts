import { describe, expect, it } from "vitest";
import { defaultRestartPolicy, nextAttempt, restartDelay } from "./backoff.ts";

const policy = { initialDelayMs: 500, factor: 2, maxDelayMs: 30_000, resetAfterMs: 60_000 };

describe("restart backoff", () => {
  it("doubles from the initial delay and stops at the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelay(policy, n))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it("continues the series for a process that died before it was ready or soon after", () => {
    expect(nextAttempt(policy, 3, undefined)).toBe(4);
    expect(nextAttempt(policy, 3, 59_999)).toBe(4);
  });

  it("starts a new series for a process that had been ready long enough", () => {
    expect(nextAttempt(policy, 7, 60_000)).toBe(1);
    expect(restartDelay(policy, nextAttempt(policy, 7, 120_000))).toBe(500);
  });

  it("has a default that waits half a second first and at most 30 s", () => {
    expect(restartDelay(defaultRestartPolicy, 1)).toBe(500);
    expect(restartDelay(defaultRestartPolicy, 100)).toBe(30_000);
  });
});
