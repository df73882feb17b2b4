import { MigrationFailed, ShadowCaughtUp, SourceLost } from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { InstanceGoneError } from "@shadow/runtime";
import { describe, expect, it } from "vitest";
import type { CatchUpDeps, InstanceProgress } from "../deps.ts";
import { bothCopies, handoff } from "./both-copies.test-data.ts";
import { watchFence } from "./fence-watch.ts";

const caughtUp = ShadowCaughtUp.schema.parse({
  ...sampleData("m-1")[ShadowCaughtUp.type],
  workload: "orders-0",
  handoff,
});

const at = (offset: number) => [{ topic: "in", partition: 0, offset }];

/**
 * The source and its shadow on a fake runtime and clock. The source is removed `diesAfterMs`
 * into the watch (never if undefined); the shadow reports the source's committed progress from
 * `committed`, one reading per poll, the last one for good.
 */
async function world(opts: {
  diesAfterMs?: number;
  committed: number[];
  shadowDies?: boolean;
  /** Only the shadow is removed, this far into the watch. */
  shadowGoneAfterMs?: number;
  /** The shadow answers no `/status` in this window (ms into the watch): frozen. */
  silent?: [number, number];
}) {
  const runtime = await bothCopies();
  let t = 0;
  const readings = [...opts.committed];
  const deps = {
    runtime,
    progress: async (instance: string): Promise<InstanceProgress> => {
      if (instance !== "orders-0-shadow") throw new Error(`asked ${instance}`);
      if (!(await runtime.inspect(instance))) throw new InstanceGoneError(instance);
      if (opts.silent && t >= opts.silent[0] && t < opts.silent[1])
        throw new Error("status of orders-0-shadow: timed out");
      const c = readings.length > 1 ? readings.shift() : readings[0];
      return { offsets: at(40), ...(c !== undefined ? { sourceCommitted: at(c) } : {}) };
    },
    catchUpThreshold: 5,
    catchUpTimeoutMs: 10_000,
    convergeWindowMs: 0,
    pollIntervalMs: 100,
    sleep: async (ms: number) => {
      t += ms;
      if (opts.shadowGoneAfterMs !== undefined && t >= opts.shadowGoneAfterMs) {
        if (await runtime.inspect("orders-0-shadow")) await runtime.remove("orders-0-shadow");
      }
      if (opts.diesAfterMs !== undefined && t >= opts.diesAfterMs) {
        if (await runtime.inspect("orders-0")) await runtime.remove("orders-0");
        if (opts.shadowDies && (await runtime.inspect("orders-0-shadow")))
          await runtime.remove("orders-0-shadow");
      }
    },
    now: () => t,
  } as unknown as CatchUpDeps;
  return { deps, now: () => t };
}

describe("restore-svc watches the source through its fence", () => {
  it("gives the gone source's settled committed progress as the cut (SourceLost)", async () => {
    const { deps } = await world({ diesAfterMs: 300, committed: [33, 35, 35] });
    const out = await watchFence(caughtUp, deps, () => true);
    expect(out.map((e) => e.type)).toEqual([SourceLost.type]);
    const d = SourceLost.schema.parse(out[0]?.data);
    // Two equal readings after the dead source stopped moving: 35, not the first reading 33.
    expect(d.cut).toEqual(at(35));
    expect(d.shadowOffsets).toEqual(at(40));
    expect(d.handoff).toEqual(caughtUp.handoff);
    expect(d.migrationId).toBe("m-1");
  });

  it("sends nothing while the source lives, and stops when the fence ends", async () => {
    const { deps, now } = await world({ committed: [35] });
    const out = await watchFence(caughtUp, deps, () => now() < 2_000);
    expect(out).toEqual([]);
    expect(now()).toBeGreaterThanOrEqual(2_000);
  });

  it("sends nothing when the fence ended while it settled: a drain removes a handed-over source", async () => {
    const { deps, now } = await world({ diesAfterMs: 300, committed: [35] });
    let drainedAt: number | undefined;
    const fencing = () => {
      // FenceCompleted folded 200 ms after the source went: the drain, not a loss.
      if (drainedAt === undefined && now() >= 300) drainedAt = now() + 200;
      return drainedAt === undefined || now() < drainedAt;
    };
    expect(await watchFence(caughtUp, deps, fencing)).toEqual([]);
  });

  it("sends nothing when the shadow is gone too: the fence's deadline ends the migration", async () => {
    const { deps } = await world({ diesAfterMs: 300, committed: [35], shadowDies: true });
    expect(await watchFence(caughtUp, deps, () => true)).toEqual([]);
  });

  it("sends nothing when the shadow never shows the source's progress", async () => {
    const { deps } = await world({ diesAfterMs: 300, committed: [] });
    expect(await watchFence(caughtUp, deps, () => true)).toEqual([]);
  });

  it("fails the fence at once when the shadow is gone: the source resumes from its cut", async () => {
    const { deps, now } = await world({ shadowGoneAfterMs: 700, committed: [35] });
    const out = await watchFence(caughtUp, deps, () => true);
    expect(out.map((e) => e.type)).toEqual([MigrationFailed.type]);
    const d = MigrationFailed.schema.parse(out[0]?.data);
    expect(d).toMatchObject({ step: "fence", code: "SHADOW_LOST", migrationId: "m-1" });
    expect(d.reason).toMatch(/orders-0-shadow gone during the fence/);
    expect(now()).toBeLessThan(1_000);
  });

  it("fails the fence when the shadow stays silent for the silence window, not before", async () => {
    // Frozen from 1 s on: the failure comes 5 s later (the default window), not at once.
    const frozen = await world({ silent: [1_000, 60_000], committed: [35] });
    const out = await watchFence(caughtUp, frozen.deps, () => true);
    const d = MigrationFailed.schema.parse(out[0]?.data);
    expect(d.reason).toMatch(/silent on \/status for \d+ ms during the fence/);
    expect(frozen.now()).toBeGreaterThanOrEqual(5_900);
    expect(frozen.now()).toBeLessThan(6_500);
    // Silent for 3 s, then answering again: a slow shadow, not a frozen one.
    const slow = await world({ silent: [1_000, 4_000], committed: [35] });
    expect(await watchFence(caughtUp, slow.deps, () => slow.now() < 10_000)).toEqual([]);
  });

  it("sends no failure when the fence ended meanwhile: the shadow passed before it went", async () => {
    const { deps } = await world({ shadowGoneAfterMs: 700, committed: [35] });
    // FenceCompleted is folded while the gone shadow is being asked: the fence ended.
    let ended = false;
    const progress = deps.progress;
    deps.progress = async (instance) => {
      try {
        return await progress(instance);
      } catch (error) {
        ended = true;
        throw error;
      }
    };
    expect(await watchFence(caughtUp, deps, () => !ended)).toEqual([]);
    expect(ended).toBe(true);
  });
});
