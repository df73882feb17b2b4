import { describe, expect, it } from "vitest";
import { RetryableError, TerminalError } from "../errors.ts";
import { decideRetry, retryPolicy } from "./retry.ts";

const policy = retryPolicy({
  maxAttempts: 5,
  initialDelayMs: 100,
  factor: 2,
  maxDelayMs: 1000,
  jitter: 0.2,
});
const middle = () => 0.5; // no jitter

describe("decideRetry", () => {
  it("never retries a terminal error", () => {
    const decision = decideRetry(new TerminalError("bad input"), 1, policy, middle);
    expect(decision).toEqual({ retry: false, code: "handler-terminal", reason: "bad input" });
  });

  it("backs off exponentially, capped", () => {
    const delays = [1, 2, 3, 4].map((attempt) =>
      decideRetry(
        new Error("flaky"),
        attempt,
        retryPolicy({ ...policy, maxAttempts: 9, maxDelayMs: 500 }),
        middle,
      ),
    );
    expect(delays.map((d) => d.retry && d.delayMs)).toEqual([100, 200, 400, 500]);
  });

  it("gives up after maxAttempts, saying how many", () => {
    const decision = decideRetry(new Error("still down"), 5, policy, middle);
    expect(decision).toMatchObject({ retry: false, code: "retries-exhausted" });
    expect(!decision.retry && decision.reason).toContain("5 attempt(s)");
  });

  it("honours retryAfterMs, within the cap", () => {
    expect(
      decideRetry(new RetryableError("busy", { retryAfterMs: 700 }), 1, policy, middle),
    ).toEqual({ retry: true, delayMs: 700 });
    expect(
      decideRetry(new RetryableError("busy", { retryAfterMs: 60_000 }), 1, policy, middle),
    ).toEqual({ retry: true, delayMs: 1000 });
  });

  it("jitters within ± jitter", () => {
    const low = decideRetry(new Error("x"), 2, policy, () => 0);
    const high = decideRetry(new Error("x"), 2, policy, () => 0.999999);
    expect(low.retry && low.delayMs).toBe(160);
    expect(high.retry && high.delayMs).toBe(240);
  });

  it("treats one attempt as no retry at all", () => {
    expect(decideRetry(new Error("x"), 1, retryPolicy({ maxAttempts: 1 }))).toMatchObject({
      retry: false,
      code: "retries-exhausted",
    });
  });
});

describe("retryPolicy", () => {
  it("refuses nonsense", () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => retryPolicy({ jitter: 2 })).toThrow(RangeError);
    expect(() => retryPolicy({ factor: 0.5 })).toThrow(RangeError);
  });
});
