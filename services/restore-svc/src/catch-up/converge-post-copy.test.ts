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

type Pages = "arriving" | "complete" | "failed";

/**
 * A post-copy catch-up on a step clock: both copies at the same offset (no lag at all), the
 * shadow's memory as `pages(t)` says, and its status polls unanswered until `silentUntilMs`.
 */
async function watchPostCopy(pages: (t: number) => Pages, silentUntilMs = 0) {
  const runtime = await bothCopies();
  const shadow = runtime.instances.get("orders-0-shadow");
  if (!shadow) throw new Error("no shadow");
  shadow.pages = "arriving";
  let t = 0;
  const deps = {
    runtime,
    progress: async (instance: string): Promise<InstanceProgress> => {
      if (instance === "orders-0-shadow" && t < silentUntilMs) throw new Error("status timed out");
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
  return { out, endedAt: t, runtime };
}

describe("a post-copy shadow caught up while its last pages arrive", () => {
  it("waits for its memory without slowing the source: the lag has nothing left to shrink", async () => {
    // Every page in after 5 s: ten convergence windows with a flat lag of 0.
    const { out, endedAt, runtime } = await watchPostCopy((t) =>
      t >= 5_000 ? "complete" : "arriving",
    );
    expect(out.map((e) => e.type)).toEqual([ShadowCaughtUp.type]);
    expect(endedAt).toBeGreaterThanOrEqual(5_000);
    expect(runtime.calls.filter((c) => c.startsWith("limitCpu"))).toEqual([]);
  });
});

describe("a post-copy shadow that answers no status poll while its pages arrive", () => {
  // Held still or busy replaying, the copy answers again only after 8 s.
  const silentUntilMs = 8_000;

  it("measures every page in when the pages came, not when the copy answered again", async () => {
    const { out } = await watchPostCopy(
      (t) => (t >= 3_000 ? "complete" : "arriving"),
      silentUntilMs,
    );
    const caughtUp = ShadowCaughtUp.schema.parse(out[0]?.data);
    expect(caughtUp.memoryMs).toBeGreaterThanOrEqual(3_000);
    expect(caughtUp.memoryMs).toBeLessThan(3_500);
  });

  it("fails at once when its pages stop coming, without waiting for an answer", async () => {
    const { out, endedAt } = await watchPostCopy(
      (t) => (t >= 2_000 ? "failed" : "arriving"),
      silentUntilMs,
    );
    expect(out.map((e) => e.type)).toEqual([MigrationFailed.type]);
    expect(JSON.stringify(out[0]?.data)).toMatch(/page/i);
    expect(endedAt).toBeLessThan(2_500);
  });
});
