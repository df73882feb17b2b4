import { MigrationFailed, ShadowCaughtUp, ShadowRestored } from "@shadow/events";
import { describe, expect, it } from "vitest";
import type { CatchUpDeps, InstanceProgress } from "../deps.ts";
import { bothCopies, handoff } from "./both-copies.test-data.ts";
import { watchCatchUp } from "./watch.ts";

const restored = ShadowRestored.schema.parse({
  migrationId: "m-1",
  workload: "orders-0",
  strategy: "shadow",
  identitySwap: false,
  requestedAt: "2026-01-01T00:00:00.000Z",
  handoff,
  imageRef: "local/m-1",
  restoreMs: 100,
  postCopy: true,
});

describe("a post-copy shadow caught up while its last pages arrive", () => {
  it("waits for its memory without slowing the source: the lag has nothing left to shrink", async () => {
    const runtime = await bothCopies();
    const shadow = runtime.instances.get("orders-0-shadow");
    if (!shadow) throw new Error("no shadow");
    shadow.pages = "arriving";
    let t = 0;
    const deps = {
      runtime,
      // Both at the same offset: no lag at all, for the whole wait.
      progress: async (): Promise<InstanceProgress> => ({
        offsets: [{ topic: "in", partition: 0, offset: 100 }],
      }),
      catchUpThreshold: 0,
      catchUpTimeoutMs: 60_000,
      convergeWindowMs: 500,
      pollIntervalMs: 100,
      sleep: async (ms: number) => {
        t += ms;
        // Every page in after 5 s: ten convergence windows with a flat lag of 0.
        if (t >= 5_000) shadow.pages = "complete";
      },
      now: () => t,
    } as unknown as CatchUpDeps;
    const out = await watchCatchUp(restored, 0, deps, () => false);
    expect(out.map((e) => e.type)).toEqual([ShadowCaughtUp.type]);
    expect(t).toBeGreaterThanOrEqual(5_000);
    expect(runtime.calls.filter((c) => c.startsWith("limitCpu"))).toEqual([]);
  });
});

describe("a post-copy shadow that answers no status poll while its pages arrive", () => {
  async function watchSilent(pages: (t: number) => "arriving" | "complete" | "failed") {
    const runtime = await bothCopies();
    const shadow = runtime.instances.get("orders-0-shadow");
    if (!shadow) throw new Error("no shadow");
    shadow.pages = "arriving";
    let t = 0;
    const deps = {
      runtime,
      // Held still or busy replaying, the copy answers again only after 8 s.
      progress: async (instance: string): Promise<InstanceProgress> => {
        if (instance === "orders-0-shadow" && t < 8_000) throw new Error("status timed out");
        return { offsets: [{ topic: "in", partition: 0, offset: 100 }] };
      },
      catchUpThreshold: 0,
      catchUpTimeoutMs: 60_000,
      convergeWindowMs: 500,
      pollIntervalMs: 100,
      sleep: async (ms: number) => {
        t += ms;
        shadow.pages = pages(t);
      },
      now: () => t,
    } as unknown as CatchUpDeps;
    const out = await watchCatchUp(restored, 0, deps, () => false);
    return { out, endedAt: t };
  }

  it("measures every page in when the pages came, not when the copy answered again", async () => {
    const { out } = await watchSilent((t) => (t >= 3_000 ? "complete" : "arriving"));
    const caughtUp = ShadowCaughtUp.schema.parse(out[0]?.data);
    expect(caughtUp.memoryMs).toBeGreaterThanOrEqual(3_000);
    expect(caughtUp.memoryMs).toBeLessThan(3_500);
  });

  it("fails at once when its pages stop coming, without waiting for an answer", async () => {
    const { out, endedAt } = await watchSilent((t) => (t >= 2_000 ? "failed" : "arriving"));
    expect(out.map((e) => e.type)).toEqual([MigrationFailed.type]);
    expect(JSON.stringify(out[0]?.data)).toMatch(/page/i);
    expect(endedAt).toBeLessThan(2_500);
  });
});
