import {
  buildEvent,
  type IncomingEvent,
  MigrationAdmitted,
  MigrationRequested,
  type OutgoingEvent,
  ShadowCaughtUp,
  ShadowRestored,
  SourceLost,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { LogLedger } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import type { CatchUpDeps, InstanceProgress } from "../deps.ts";
import { CatchUpWatcher } from "./watcher.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function restored(
  migrationId: string,
  workload: string,
): IncomingEvent<typeof ShadowRestored.type> {
  const data = sampleData(migrationId)[ShadowRestored.type];
  const handoff = {
    round: 1 as const,
    from: { instance: workload, node: "node-a" },
    to: { instance: `${workload}-shadow`, node: "node-b" },
  };
  return buildEvent(
    ShadowRestored,
    { ...data, workload, handoff },
    {
      source: "/shadow/restore-svc",
      id: `restored-${migrationId}`,
      time: new Date(T0),
    },
  ) as IncomingEvent<typeof ShadowRestored.type>;
}

/**
 * Two workloads on one fake clock: `slow`'s shadow needs `slowMs` to catch up, `fast`'s 2 s.
 * The clock advances only by the watches' own waits, so each watch's replay time is exact.
 */
function world(slowMs: number) {
  let now = T0;
  const deps: CatchUpDeps = {
    runtime: {
      limitCpu: async () => undefined,
      inspect: async () => undefined,
      nodes: async () => [],
    },
    progress: async (instance: string): Promise<InstanceProgress> => {
      const source = 1_000;
      const needs = instance.startsWith("slow") ? slowMs : 2_000;
      const done = instance.endsWith("-shadow")
        ? Math.min(source, ((now - T0) / needs) * source)
        : source;
      return { offsets: [{ topic: "in", partition: 0, offset: Math.floor(done) }] };
    },
    catchUpThreshold: 0,
    catchUpTimeoutMs: 120_000,
    convergeWindowMs: 0,
    pollIntervalMs: 100,
    sleep: async (ms) => {
      now += ms;
      // Let the other watch run between polls, as timers would.
      await new Promise((resolve) => setImmediate(resolve));
    },
    now: () => now,
  };
  const sent: { events: OutgoingEvent[]; cause: string; at: number; first: number }[] = [];
  const emit = async (events: OutgoingEvent[], cause: IncomingEvent, first = 0) => {
    sent.push({ events, cause: cause.id, at: now, first });
  };
  return { deps, sent, emit, now: () => now };
}

describe("restore-svc's catch-up watches run beside the consumer", () => {
  it("catches up two migrations side by side: a minute-long one does not hold back the other", async () => {
    const { deps, sent, emit } = world(60_000);
    const watcher = new CatchUpWatcher(deps, emit);
    watcher.watch(restored("m-slow", "slow"));
    watcher.watch(restored("m-fast", "fast"));
    watcher.watch(restored("m-fast", "fast")); // redelivered: still one watch
    expect(watcher.watching()).toEqual(["m-slow@1", "m-fast@1"]);
    await watcher.idle();
    const fast = sent.find((s) => s.cause === "restored-m-fast");
    const slow = sent.find((s) => s.cause === "restored-m-slow");
    expect(sent).toHaveLength(2);
    expect(fast?.events[0]?.type).toBe(ShadowCaughtUp.type);
    expect(slow?.events[0]?.type).toBe(ShadowCaughtUp.type);
    // Each ends when its own shadow has caught up, not after the other: 2 s and 60 s.
    const replay = (s: typeof fast) =>
      (s?.events[0]?.data as { replayMs?: number } | undefined)?.replayMs ?? Number.NaN;
    console.log(`replay: fast ${replay(fast)} ms, slow ${replay(slow)} ms (side by side)`);
    expect(replay(fast)).toBeGreaterThanOrEqual(2_000);
    expect(replay(fast)).toBeLessThan(2_500);
    expect(replay(slow)).toBeGreaterThanOrEqual(60_000);
  });

  it("takes up after a restart the catch-ups the log shows under way, and only those", async () => {
    const ledger = new LogLedger();
    let offset = 0;
    const fold = (key: string, type: string, data: unknown, extra: object = {}) =>
      ledger.apply({ type, data, ...extra }, { partition: 0, offset: String(offset++), key });
    for (const [id, workload] of [
      ["m-a", "slow"],
      ["m-b", "fast"],
    ] as const) {
      const request = { ...sampleData(id)[MigrationRequested.type], workload };
      fold(workload, MigrationRequested.type, request);
      fold(workload, MigrationAdmitted.type, {
        ...sampleData(id)[MigrationAdmitted.type],
        workload,
      });
      fold(workload, ShadowRestored.type, restored(id, workload).data, restored(id, workload));
    }
    // m-b's ShadowCaughtUp lies beyond the committed offset: its consumer will meet it.
    ledger.noteVerdictAhead({ type: ShadowCaughtUp.type, data: { migrationId: "m-b" } });
    // m-c had caught up: its fence was under way, and its source is watched through it again.
    const caughtUp = {
      ...sampleData("m-c")[ShadowCaughtUp.type],
      workload: "mid",
      handoff: restored("m-c", "mid").data.handoff,
    };
    fold("mid", MigrationRequested.type, {
      ...sampleData("m-c")[MigrationRequested.type],
      workload: "mid",
    });
    fold("mid", MigrationAdmitted.type, {
      ...sampleData("m-c")[MigrationAdmitted.type],
      workload: "mid",
    });
    fold("mid", ShadowCaughtUp.type, caughtUp, {
      specversion: "1.0",
      id: "caught-up-m-c",
      source: "/shadow/restore-svc",
      subject: "m-c",
      time: new Date(T0).toISOString(),
    });

    const { deps, sent, emit } = world(3_000);
    const watcher = new CatchUpWatcher(
      deps,
      emit,
      (id) => ledger.migration(id)?.stage === "admitted",
    );
    expect(watcher.resume(ledger)).toBe(2);
    expect(watcher.watching()).toEqual(["m-a@1", "m-c@1"]);
    await watcher.idle();
    expect(sent.map((s) => s.cause)).toEqual(["restored-m-a"]);
    expect(sent[0]?.events[0]?.type).toBe(ShadowCaughtUp.type);
  });

  it("watches the source through the fence after the catch-up: gone, it sends SourceLost", async () => {
    const { deps, sent, emit, now } = world(3_000);
    // The source is killed 4 s in: after its shadow caught up (3 s), before any cut.
    deps.runtime.inspect = async (instance) =>
      instance.endsWith("-shadow") || now() < T0 + 4_000
        ? ({ state: "running" } as Awaited<ReturnType<CatchUpDeps["runtime"]["inspect"]>>)
        : undefined;
    const progress = deps.progress;
    deps.progress = async (instance) => ({
      ...(await progress(instance)),
      sourceCommitted: [{ topic: "in", partition: 0, offset: 990 }],
    });
    let fenceUnderWay = true;
    const watcher = new CatchUpWatcher(deps, emit, undefined, () => fenceUnderWay);
    watcher.watch(restored("m-f", "fast"));
    await watcher.idle();
    expect(sent.map((s) => s.events.map((e) => e.type))).toEqual([
      [ShadowCaughtUp.type],
      [SourceLost.type],
    ]);
    // Its id derives from the ShadowRestored after ShadowCaughtUp's: never the same event.
    expect(sent.map((s) => [s.cause, s.first])).toEqual([
      ["restored-m-f", 0],
      ["restored-m-f", 1],
    ]);
    expect(SourceLost.schema.parse(sent[1]?.events[0]?.data).cut).toEqual([
      { topic: "in", partition: 0, offset: 990 },
    ]);

    // A fence that completed (the log moved past it) is not watched: nothing after ShadowCaughtUp.
    const second = world(3_000);
    second.deps.runtime.inspect = deps.runtime.inspect;
    second.deps.progress = deps.progress;
    fenceUnderWay = false;
    const quiet = new CatchUpWatcher(second.deps, second.emit, undefined, () => fenceUnderWay);
    quiet.watch(restored("m-g", "fast"));
    await quiet.idle();
    expect(second.sent.map((s) => s.events[0]?.type)).toEqual([ShadowCaughtUp.type]);
  });

  it("sends nothing for a migration that failed meanwhile", async () => {
    const { deps, sent, emit } = world(5_000);
    const watcher = new CatchUpWatcher(deps, emit);
    watcher.watch(restored("m-x", "slow"));
    watcher.stop("m-x");
    await watcher.idle();
    expect(sent).toEqual([]);
  });
});
