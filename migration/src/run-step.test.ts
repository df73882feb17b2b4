import { RetryableError, TerminalError } from "@shadow/errors";
import { CheckpointCreated, MigrationFailed } from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { describe, expect, it } from "vitest";
import { runStep } from "./run-step.ts";

const data = sampleData("m-1")[CheckpointCreated.type];
const ok = [{ type: CheckpointCreated.type, data }] as never;

/** A step env on a fake clock that starts at the step's event time. */
function clockAt(start: string) {
  let now = Date.parse(start);
  const waits: number[] = [];
  return {
    waits,
    env: {
      now: () => now,
      sleep: async (ms: number) => {
        waits.push(ms);
        now += ms;
      },
      stepDeadlineMs: 60_000,
    },
  };
}

const spec = { step: "image", phase: "image", data, startedAt: "2026-01-01T00:00:00Z" } as const;

describe("runStep: one wrapper decides what a step's failure means", () => {
  it("retries a retryable error with growing waits, and the step completes", async () => {
    const { env, waits } = clockAt(spec.startedAt);
    let attempts = 0;
    const out = await runStep(env, spec, async () => {
      attempts += 1;
      if (attempts <= 3) throw new RetryableError("registry unavailable");
      return ok;
    });
    expect(out).toBe(ok);
    expect(attempts).toBe(4);
    expect(waits).toHaveLength(3);
    expect(waits[1]).toBeGreaterThan(waits[0] ?? 0);
  });

  it("fails a terminal error at once, with its code, and compensates first", async () => {
    const { env, waits } = clockAt(spec.startedAt);
    let attempts = 0;
    let compensated = false;
    const out = await runStep(
      env,
      {
        ...spec,
        onFailure: async () => {
          compensated = true;
        },
      },
      async () => {
        attempts += 1;
        throw new TerminalError("no room on node-b", { code: "NO_CAPACITY" });
      },
    );
    expect(attempts).toBe(1);
    expect(waits).toEqual([]);
    expect(compensated).toBe(true);
    expect(out).toHaveLength(1);
    expect(out[0]?.type).toBe(MigrationFailed.type);
    expect(out[0]?.data).toMatchObject({ step: "image", code: "NO_CAPACITY", migrationId: "m-1" });
  });

  it("stops retrying within the step's deadline, counted from the event that started it", async () => {
    // The image step's deadline is 2 × 60 s; retries end before 80 % of it.
    const { env } = clockAt(spec.startedAt);
    let attempts = 0;
    const out = await runStep(env, spec, async () => {
      attempts += 1;
      throw new Error("ECONNREFUSED");
    });
    expect(out[0]?.type).toBe(MigrationFailed.type);
    expect(attempts).toBeGreaterThan(5);
    expect(env.now() - Date.parse(spec.startedAt)).toBeLessThanOrEqual(96_000);

    // Delivered again after a restart, past its retry window: one attempt, then the failure.
    const late = clockAt("2026-01-01T00:01:40Z");
    let again = 0;
    await runStep(late.env, spec, async () => {
      again += 1;
      throw new RetryableError("still down");
    });
    expect(again).toBe(1);
  });
});
