import { describe, expect, it } from "vitest";
import { isTerminal, migrationIdOf, RetryableError, TerminalError, toError } from "./errors.ts";

describe("typed errors", () => {
  it("say whether a retry makes sense and carry the migration id", () => {
    const terminal = new TerminalError("bad", { migrationId: "m-1", code: "bad-input" });
    const retryable = new RetryableError("busy", { migrationId: "m-2", retryAfterMs: 50 });
    expect(terminal).toMatchObject({
      name: "TerminalError",
      retryable: false,
      migrationId: "m-1",
      code: "bad-input",
    });
    expect(retryable).toMatchObject({ name: "RetryableError", retryable: true, retryAfterMs: 50 });
    expect(isTerminal(terminal)).toBe(true);
    expect(isTerminal(retryable)).toBe(false);
    expect(isTerminal(new Error("plain"))).toBe(false);
  });

  it("find the migration id through causes", () => {
    const inner = new RetryableError("dump failed", { migrationId: "m-9" });
    const outer = new Error("checkpoint step", { cause: inner });
    expect(migrationIdOf(outer)).toBe("m-9");
    expect(migrationIdOf(new Error("none"))).toBeUndefined();
  });
});

describe("toError", () => {
  it("keeps Errors, wraps the rest", () => {
    const error = new Error("x");
    expect(toError(error)).toBe(error);
    expect(toError("boom").message).toBe("boom");
    const wrapped = toError({ status: 503 });
    expect(wrapped.message).toContain('{"status":503}');
    expect(wrapped.cause).toEqual({ status: 503 });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toError(circular)).toBeInstanceOf(Error);
  });
});
