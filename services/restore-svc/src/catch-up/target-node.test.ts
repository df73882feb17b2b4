import { MigrationFailed, ShadowCaughtUp, ShadowRestored } from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { describe, expect, it } from "vitest";
import type { CatchUpDeps, InstanceProgress } from "../deps.ts";
import { bothCopies, handoff } from "./both-copies.test-data.ts";
import { watchFence } from "./fence-watch.ts";
import { TargetNodeCheck } from "./target-node.ts";
import { watchCatchUp } from "./watch.ts";

const base = {
  migrationId: "m-1",
  workload: "orders-0",
  strategy: "shadow" as const,
  identitySwap: false,
  requestedAt: "2026-01-01T00:00:00.000Z",
  handoff,
};
const restored = ShadowRestored.schema.parse({ ...base, imageRef: "local/m-1", restoreMs: 100 });
const caughtUp = ShadowCaughtUp.schema.parse({
  ...sampleData("m-1")[ShadowCaughtUp.type],
  ...base,
});

/**
 * Both copies alive on a fake runtime and clock; the shadow stays `behind` records behind its
 * source, and node-b stops being Ready `notReadyAfterMs` into the watch.
 */
async function world(opts: { notReadyAfterMs?: number; behind: number }) {
  const runtime = await bothCopies();
  let t = 0;
  const deps = {
    runtime,
    progress: async (instance: string): Promise<InstanceProgress> => ({
      offsets: [
        { topic: "in", partition: 0, offset: instance === "orders-0" ? 100 : 100 - opts.behind },
      ],
    }),
    catchUpThreshold: 0,
    catchUpTimeoutMs: 60_000,
    convergeWindowMs: 0,
    maxFenceExtraMs: 0,
    pollIntervalMs: 100,
    sleep: async (ms: number) => {
      t += ms;
      if (opts.notReadyAfterMs !== undefined && t >= opts.notReadyAfterMs)
        runtime.setReady("node-b", false);
    },
    now: () => t,
  } as unknown as CatchUpDeps;
  return { deps, runtime, now: () => t };
}

describe("the target node stops being Ready before the handover", () => {
  it("fails the catch-up within about a second, naming the node (TARGET_NOT_READY)", async () => {
    const { deps, now } = await world({ notReadyAfterMs: 2_000, behind: 50 });
    const out = await watchCatchUp(restored, 0, deps, () => false);
    expect(out.map((e) => e.type)).toEqual([MigrationFailed.type]);
    const d = MigrationFailed.schema.parse(out[0]?.data);
    expect(d).toMatchObject({ step: "catch-up", code: "TARGET_NOT_READY", migrationId: "m-1" });
    expect(d.reason).toContain("node-b");
    expect(now()).toBeGreaterThanOrEqual(2_000);
    expect(now()).toBeLessThanOrEqual(3_100);
  });

  it("fails the fence the same way, so that the source resumes from its cut", async () => {
    const { deps, now } = await world({ notReadyAfterMs: 500, behind: 0 });
    const out = await watchFence(caughtUp, deps, () => now() < 10_000);
    expect(out.map((e) => e.type)).toEqual([MigrationFailed.type]);
    expect(MigrationFailed.schema.parse(out[0]?.data)).toMatchObject({
      step: "fence",
      code: "TARGET_NOT_READY",
    });
    expect(now()).toBeLessThanOrEqual(1_600);
  });

  it("leaves a catch-up on a Ready node alone", async () => {
    const { deps } = await world({ behind: 0 });
    const out = await watchCatchUp(restored, 0, deps, () => false);
    expect(out.map((e) => e.type)).toEqual([ShadowCaughtUp.type]);
  });
});

describe("TargetNodeCheck", () => {
  const check = (nodes: () => Promise<{ name: string; ready: boolean }[]>) => {
    let t = 0;
    const c = new TargetNodeCheck(
      { runtime: { nodes } as unknown as CatchUpDeps["runtime"], now: () => t },
      "node-b",
    );
    return { c, tick: (ms: number) => (t += ms) };
  };

  it("says nothing of a node never listed, or when the listing fails", async () => {
    const never = check(async () => [{ name: "node-a", ready: true }]);
    expect(await never.c.trouble()).toBeUndefined();
    const failing = check(async () => {
      throw new Error("api server away");
    });
    expect(await failing.c.trouble()).toBeUndefined();
  });

  it("calls a node listed once and then no more gone, and reads at most once a second", async () => {
    let listing = [{ name: "node-b", ready: true }];
    let reads = 0;
    const { c, tick } = check(async () => {
      reads++;
      return listing;
    });
    expect(await c.trouble()).toBeUndefined();
    listing = [];
    tick(500);
    expect(await c.trouble()).toBeUndefined();
    expect(reads).toBe(1);
    tick(600);
    expect(await c.trouble()).toBe("is no longer listed");
    expect(reads).toBe(2);
  });
});
