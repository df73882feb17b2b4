import {
  CheckpointCreated,
  FenceCompleted,
  MigrationAdmitted,
  MigrationCompleted,
  MigrationFailed,
  MigrationRejected,
  MigrationRequested,
  RolledBack,
  ShadowCaughtUp,
  ShadowRestored,
  SourceLost,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { describe, expect, it } from "vitest";
import { applyEvent, type FoldableEvent, foldMigration, hasEnded, isActive } from "./fold.ts";

const data = sampleData("m-fold-1");

/** A fresh migration's view, as its MigrationRequested and MigrationAdmitted fold. */
const requested = () =>
  applyEvent(
    applyEvent(undefined, {
      id: "e1",
      type: MigrationRequested.type,
      time: "2026-01-02T03:04:05.600Z",
      data: data[MigrationRequested.type],
    }),
    {
      id: "e1a",
      type: MigrationAdmitted.type,
      time: "2026-01-02T03:04:05.678Z",
      data: data[MigrationAdmitted.type],
    },
  );

describe("the fold of a request", () => {
  it("waits for its verdict, runs once admitted, and ends refused with the reason", () => {
    const pending = applyEvent(undefined, {
      id: "e1",
      type: MigrationRequested.type,
      time: "2026-01-02T03:04:05.600Z",
      data: data[MigrationRequested.type],
    });
    expect(pending).toMatchObject({ status: "pending", phases: [] });
    expect(pending && isActive(pending)).toBe(true);
    const admitted = requested();
    expect(admitted).toMatchObject({ status: "running", phase: "checkpoint" });
    expect(admitted?.phases[0]?.startedAt).toBe("2026-01-02T03:04:05.678Z");
    const refused = applyEvent(pending, {
      id: "e2",
      type: MigrationRejected.type,
      time: "2026-01-02T03:04:05.700Z",
      data: data[MigrationRejected.type],
    });
    expect(refused).toMatchObject({
      status: "rejected",
      phase: "done",
      rejection: { code: "ALREADY_MIGRATING", runningMigrationId: "m-running-1" },
    });
    expect(refused && hasEnded(refused)).toBe(true);
  });
});

describe("the fold of a name restore", () => {
  it("starts at round 2, from the instance serving under a shadow's name to the workload's own", () => {
    const restore = {
      source: { instance: "orders-shadow-m0", node: "node-b" },
      targetNode: "node-b",
      nameRestore: true,
    };
    const view = foldMigration([
      {
        id: "e1",
        type: MigrationRequested.type,
        time: "2026-01-02T03:04:05.600Z",
        data: { ...data[MigrationRequested.type], ...restore },
      },
      {
        id: "e2",
        type: MigrationAdmitted.type,
        time: "2026-01-02T03:04:05.678Z",
        data: { ...data[MigrationAdmitted.type], ...restore },
      },
    ]);
    expect(view).toMatchObject({
      nameRestore: true,
      round: 2,
      phase: "checkpoint",
      handoff: {
        round: 2,
        from: { instance: "orders-shadow-m0", node: "node-b" },
        to: { instance: "orders", node: "node-b" },
      },
    });
    expect(view?.phases).toEqual([
      { round: 2, phase: "checkpoint", startedAt: "2026-01-02T03:04:05.678Z" },
    ]);
  });
});

describe("the fold of a checkpoint", () => {
  it("keeps each round's freeze window, which a verifier needs to tell a pause from downtime", () => {
    let view = requested();
    view = applyEvent(view, {
      id: "e2",
      type: CheckpointCreated.type,
      time: "2026-01-02T03:04:06.000Z",
      data: { ...data[CheckpointCreated.type], frozenAt: "2026-01-02T03:04:05.800Z", pauseMs: 95 },
    });
    expect(view?.work).toEqual([
      { round: 1, dumpMs: 230, pauseMs: 95, frozenAt: "2026-01-02T03:04:05.800Z" },
    ]);
    expect(view?.checkpointPauseMs).toBe(95);
  });

  it("reads an event written before the freeze time was reported", () => {
    const { frozenAt: _, ...older } = data[CheckpointCreated.type];
    let view = requested();
    view = applyEvent(view, {
      id: "e2",
      type: CheckpointCreated.type,
      time: "2026-01-02T03:04:06.000Z",
      data: older,
    });
    expect(view?.work).toEqual([{ round: 1, dumpMs: 230, pauseMs: 141.5 }]);
    expect(view?.phase).toBe("image");
  });
});

describe("the fold of a caught-up shadow", () => {
  it("keeps which copy caught up and when: a verifier counts it as consuming from then", () => {
    const caughtUp = data[ShadowCaughtUp.type];
    const view = applyEvent(requested(), {
      id: "e3",
      type: ShadowCaughtUp.type,
      time: "2026-01-02T03:04:08.250Z",
      data: caughtUp,
    });
    expect(view?.work).toEqual([
      expect.objectContaining({
        round: caughtUp.handoff.round,
        shadow: caughtUp.handoff.to,
        caughtUpAt: "2026-01-02T03:04:08.250Z",
      }),
    ]);
    expect(view?.phases.find((p) => p.phase === "fence")?.startedAt).toBe(
      "2026-01-02T03:04:08.250Z",
    );
  });
});

describe("a source lost during its fence", () => {
  it("is noted while the fence is under way, and not after it completed (the drain's removal)", () => {
    const caughtUp: FoldableEvent = {
      id: "c1",
      type: ShadowCaughtUp.type,
      time: "2026-01-02T03:04:08.000Z",
      data: data[ShadowCaughtUp.type],
    };
    const lost = (time: string): FoldableEvent => ({
      id: `l-${time}`,
      type: SourceLost.type,
      time,
      data: data[SourceLost.type],
    });
    const during = applyEvent(applyEvent(requested(), caughtUp), lost("2026-01-02T03:04:09.000Z"));
    expect(during?.work[0]?.sourceLostAt).toBe("2026-01-02T03:04:09.000Z");
    // The fence goes on: the shadow passes the cut given on the source's behalf.
    expect(during?.phase).toBe("fence");

    const completed: FoldableEvent = {
      id: "f1",
      type: FenceCompleted.type,
      time: "2026-01-02T03:04:08.100Z",
      data: data[FenceCompleted.type],
    };
    const after = applyEvent(
      applyEvent(applyEvent(requested(), caughtUp), completed),
      lost("2026-01-02T03:04:09.000Z"),
    );
    expect(after?.work[0]?.sourceLostAt).toBeUndefined();
  });
});

describe("a failure the log shows too late", () => {
  it("leaves the migration running when the failed step had already ended (a watchdog's race)", () => {
    let view = requested();
    for (const event of [
      {
        id: "c1",
        type: ShadowCaughtUp.type,
        time: "2026-01-02T03:04:08.000Z",
        data: data[ShadowCaughtUp.type],
      },
      {
        id: "f1",
        type: FenceCompleted.type,
        time: "2026-01-02T03:04:08.100Z",
        data: data[FenceCompleted.type],
      },
      {
        id: "x1",
        type: MigrationFailed.type,
        time: "2026-01-02T03:04:08.150Z",
        data: { ...data[MigrationFailed.type], step: "fence" },
      },
    ] as FoldableEvent[])
      view = applyEvent(view, event);
    expect(view).toMatchObject({ status: "running", phase: "drain" });
    expect(view?.failure).toBeUndefined();
    // A failure of the step under way still fails it.
    view = applyEvent(view, {
      id: "x2",
      type: MigrationFailed.type,
      time: "2026-01-02T03:04:09.000Z",
      data: { ...data[MigrationFailed.type], step: "drain" },
    });
    expect(view).toMatchObject({ status: "failed", failure: { step: "drain" } });
  });
});

describe("an identity swap whose round 2 failed", () => {
  it("ends completed on the target, with why the name was not restored: no rollback", () => {
    let view = requested();
    const round2 = { ...data[MigrationFailed.type].handoff, round: 2 as const };
    for (const event of [
      {
        id: "x2",
        type: MigrationFailed.type,
        time: "2026-01-02T03:04:12.000Z",
        data: { ...data[MigrationFailed.type], step: "identity-swap", handoff: round2 },
      },
      {
        id: "c2",
        type: MigrationCompleted.type,
        time: "2026-01-02T03:04:12.200Z",
        data: {
          ...data[MigrationCompleted.type],
          swapFailure: "identity-swap failed: runc checkpoint exited 1",
        },
      },
    ] as FoldableEvent[])
      view = applyEvent(view, event);
    expect(view).toMatchObject({
      status: "completed",
      swapFailure: "identity-swap failed: runc checkpoint exited 1",
      final: data[MigrationCompleted.type].final,
    });
    expect(view?.rollback).toBeUndefined();
  });
});

describe("each round's own fence figures", () => {
  it("keeps every round's lag at its caught-up report and its handover, not only the last and longest", () => {
    const caughtUp = data[ShadowCaughtUp.type];
    const completed = data[FenceCompleted.type];
    let view = requested();
    const round2 = { ...caughtUp.handoff, round: 2 as const };
    const events: FoldableEvent[] = [
      {
        id: "c1",
        type: ShadowCaughtUp.type,
        time: "2026-01-02T03:04:08.000Z",
        data: { ...caughtUp, lagBehindSource: 7 },
      },
      {
        id: "f1",
        type: FenceCompleted.type,
        time: "2026-01-02T03:04:08.100Z",
        data: { ...completed, handoverMs: 30 },
      },
      {
        id: "c2",
        type: ShadowCaughtUp.type,
        time: "2026-01-02T03:04:10.000Z",
        data: { ...caughtUp, handoff: round2, lagBehindSource: 2 },
      },
      {
        id: "f2",
        type: FenceCompleted.type,
        time: "2026-01-02T03:04:10.100Z",
        data: { ...completed, handoff: round2, handoverMs: 12 },
      },
    ];
    for (const event of events) view = applyEvent(view, event);
    expect(view?.work.map((w) => [w.round, w.lagBehindSource, w.handoverMs])).toEqual([
      [1, 7, 30],
      [2, 2, 12],
    ]);
    expect(view?.lagBehindSource).toBe(2);
    expect(view?.handoverMs).toBe(30);
  });
});

describe("the fold of a failure", () => {
  it("ends the phase under way at the failure, marked failed, and leaves earlier phases as they were", () => {
    let view = requested();
    view = applyEvent(view, {
      id: "e2",
      type: CheckpointCreated.type,
      time: "2026-01-02T03:04:06.000Z",
      data: data[CheckpointCreated.type],
    });
    view = applyEvent(view, {
      id: "e3",
      type: MigrationFailed.type,
      time: "2026-01-02T03:04:16.500Z",
      data: data[MigrationFailed.type],
    });
    expect(view?.status).toBe("failed");
    expect(view?.phases).toEqual([
      expect.objectContaining({ phase: "checkpoint", ms: 322 }),
      {
        round: 1,
        phase: "image",
        startedAt: "2026-01-02T03:04:06.000Z",
        endedAt: "2026-01-02T03:04:16.500Z",
        ms: 10_500,
        failed: true,
      },
    ]);
    expect(view?.phases[0]).not.toHaveProperty("failed");
  });
});

describe("the outage a migration shows (no copy serving)", () => {
  /** A migration's first events: requested, checkpointed (freeze at 03:04:06.000), restored. */
  const events = (
    strategy: "shadow" | "sequential",
  ): [FoldableEvent, FoldableEvent, FoldableEvent, FoldableEvent] => [
    {
      id: "e1",
      type: MigrationRequested.type,
      time: "2026-01-02T03:04:05.600Z",
      data: { ...data[MigrationRequested.type], strategy },
    },
    {
      id: "e1a",
      type: MigrationAdmitted.type,
      time: "2026-01-02T03:04:05.678Z",
      data: { ...data[MigrationAdmitted.type], strategy },
    },
    {
      id: "e2",
      type: CheckpointCreated.type,
      time: "2026-01-02T03:04:06.400Z",
      data: {
        ...data[CheckpointCreated.type],
        strategy,
        leftRunning: strategy === "shadow",
        frozenAt: "2026-01-02T03:04:06.000Z",
      },
    },
    {
      id: "e3",
      type: ShadowRestored.type,
      time: "2026-01-02T03:04:07.250Z",
      data: { ...data[ShadowRestored.type], strategy },
    },
  ];

  it("is open from a sequential checkpoint's freeze, and ends when the copy is restored", () => {
    const [requested, admitted, checkpointed, restored] = events("sequential");
    const stopped = foldMigration([requested, admitted, checkpointed]);
    expect(stopped?.outage).toEqual({ startedAt: "2026-01-02T03:04:06.000Z" });
    expect(foldMigration([requested, admitted, checkpointed, restored])?.outage).toEqual({
      startedAt: "2026-01-02T03:04:06.000Z",
      endedAt: "2026-01-02T03:04:07.250Z",
      ms: 1250,
    });
  });

  it("ends when a sequential migration rolls back and its source is back", () => {
    const [requested, admitted, checkpointed] = events("sequential");
    const view = foldMigration([
      requested,
      admitted,
      checkpointed,
      {
        id: "e4",
        type: RolledBack.type,
        time: "2026-01-02T03:04:09.000Z",
        data: { ...data[RolledBack.type], strategy: "sequential" },
      },
    ]);
    expect(view?.outage).toMatchObject({ endedAt: "2026-01-02T03:04:09.000Z", ms: 3000 });
  });

  it("is never there for ShadowPod: its source serves throughout, paused only by the freeze", () => {
    const view = foldMigration(events("shadow"));
    expect(view?.outage).toBeUndefined();
    expect(view?.checkpointPauseMs).toBe(141.5);
  });
});
