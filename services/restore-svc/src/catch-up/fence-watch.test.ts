import { ShadowCaughtUp, SourceLost } from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { FakeRuntime } from "@shadow/runtime/fake";
import { describe, expect, it } from "vitest";
import type { CatchUpDeps, InstanceProgress } from "../deps.ts";
import { watchSourceThroughFence } from "./fence-watch.ts";

const caughtUp = ShadowCaughtUp.schema.parse({
  ...sampleData("m-1")[ShadowCaughtUp.type],
  workload: "orders-0",
  handoff: {
    round: 1,
    from: { instance: "orders-0", node: "node-a" },
    to: { instance: "orders-0-shadow", node: "node-b" },
  },
});

const at = (offset: number) => [{ topic: "in", partition: 0, offset }];

/**
 * The source and its shadow on a fake runtime and clock. The source is removed `diesAfterMs`
 * into the watch (never if undefined); the shadow reports the source's committed progress from
 * `committed`, one reading per poll, the last one for good.
 */
async function world(opts: { diesAfterMs?: number; committed: number[]; shadowDies?: boolean }) {
  const runtime = new FakeRuntime(["node-a", "node-b"]);
  for (const [instance, node, role] of [
    ["orders-0", "node-a", "primary"],
    ["orders-0-shadow", "node-b", "shadow"],
  ] as const) {
    await runtime.run(
      { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
      { workload: "orders-0", instance, node, role, incarnation: 1, migrationId: "m-1" },
    );
  }
  let t = 0;
  const readings = [...opts.committed];
  const deps = {
    runtime,
    progress: async (instance: string): Promise<InstanceProgress> => {
      if (instance !== "orders-0-shadow") throw new Error(`asked ${instance}`);
      const c = readings.length > 1 ? readings.shift() : readings[0];
      return { offsets: at(40), ...(c !== undefined ? { sourceCommitted: at(c) } : {}) };
    },
    catchUpThreshold: 5,
    catchUpTimeoutMs: 10_000,
    convergeWindowMs: 0,
    pollIntervalMs: 100,
    sleep: async (ms: number) => {
      t += ms;
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
    const out = await watchSourceThroughFence(caughtUp, deps, () => true);
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
    const out = await watchSourceThroughFence(caughtUp, deps, () => now() < 2_000);
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
    expect(await watchSourceThroughFence(caughtUp, deps, fencing)).toEqual([]);
  });

  it("sends nothing when the shadow is gone too: the fence's deadline ends the migration", async () => {
    const { deps } = await world({ diesAfterMs: 300, committed: [35], shadowDies: true });
    expect(await watchSourceThroughFence(caughtUp, deps, () => true)).toEqual([]);
  });

  it("sends nothing when the shadow never shows the source's progress", async () => {
    const { deps } = await world({ diesAfterMs: 300, committed: [] });
    expect(await watchSourceThroughFence(caughtUp, deps, () => true)).toEqual([]);
  });
});
