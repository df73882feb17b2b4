import { ShadowCaughtUp, ShadowRestored } from "@shadow/events";
import { InstanceGoneError } from "@shadow/runtime";
import { FakeRuntime } from "@shadow/runtime/fake";
import { describe, expect, it } from "vitest";
import { watchCatchUp } from "./catch-up/watch.ts";
import type { CatchUpDeps, InstanceProgress } from "./deps.ts";

const restored = ShadowRestored.schema.parse({
  migrationId: "m-1",
  workload: "orders-0",
  strategy: "shadow",
  identitySwap: false,
  requestedAt: "2026-01-01T00:00:00.000Z",
  handoff: {
    round: 1,
    from: { instance: "orders-0", node: "node-a" },
    to: { instance: "orders-0-shadow", node: "node-b" },
  },
  imageRef: "local/m-1",
  restoreMs: 100,
});

const at = (offset: number) => [{ topic: "in", partition: 0, offset }];

async function deps(committed: number[]) {
  const runtime = new FakeRuntime(["node-a", "node-b"]);
  await runtime.run(
    { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
    {
      workload: "orders-0",
      instance: "orders-0-shadow",
      node: "node-b",
      role: "shadow",
      incarnation: 1,
      migrationId: "m-1",
    },
  );
  let t = 0;
  const readings = [...committed];
  const progress = async (instance: string): Promise<InstanceProgress> => {
    if (instance === "orders-0") throw new InstanceGoneError(instance);
    const c = readings.length > 1 ? readings.shift() : readings[0];
    return { offsets: at(40), ...(c !== undefined ? { sourceCommitted: at(c) } : {}) };
  };
  return {
    runtime,
    progress,
    catchUpThreshold: 5,
    catchUpTimeoutMs: 10_000,
    convergeWindowMs: 0,
    pollIntervalMs: 20,
    sleep: async (ms: number) => {
      t += ms;
    },
    now: () => t,
  } as unknown as CatchUpDeps;
}

/** The catch-up watch of the restored shadow, on the fake clock from 0, never stopped. */
const watch = async (committed: number[]) =>
  watchCatchUp(restored, 0, await deps(committed), () => false);

describe("the source gone while its shadow replays", () => {
  it("fails over: caught up against the source's last committed progress, once it stopped moving", async () => {
    const out = await watch([48, 50, 50]);
    expect(out[0]?.type).toBe(ShadowCaughtUp.type);
    const d = ShadowCaughtUp.schema.parse(out[0]?.data);
    expect(d.sourceLost).toBe(true);
    expect(d.sourceOffsets).toEqual(at(50));
    expect(d.lagBehindSource).toBe(10);
  });

  it("fails the catch-up (the shadow kept, see the compensation) when the shadow never read it", async () => {
    const out = await watch([]);
    expect(out[0]?.type).toMatch(/failed/);
  });
});
