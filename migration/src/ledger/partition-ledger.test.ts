import {
  CheckpointArchived,
  CheckpointCreated,
  CheckpointImageReady,
  type EventType,
  FenceCompleted,
  MigrationAdmitted,
  MigrationCompleted,
  MigrationFailed,
  MigrationRejected,
  MigrationRequested,
  RolledBack,
  ShadowCaughtUp,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { describe, expect, it } from "vitest";
import { type Judgement, type LedgerEvent, PartitionLedger } from "./partition-ledger.ts";

/** An event of the sample migration `id` of workload "orders" (the samples' workload). */
function ev(type: EventType, id: string, patch: Record<string, unknown> = {}): LedgerEvent {
  return { type, data: { ...sampleData(id)[type], ...patch } };
}

/** Folds a crafted log and returns what the ledger said of each event, as short words. */
function judge(ledger: PartitionLedger, log: LedgerEvent[], key = "orders"): string[] {
  return log.map((e) => word(ledger.apply(e, key)));
}

function word(j: Judgement): string {
  if (j.kind === "act") return "act";
  if (j.kind === "invalid") return `invalid:${j.code}`;
  return j.ended ? "late" : "stale";
}

describe("the ledger's decision on requests", () => {
  it("admits the first request of a workload and refuses every other while it is under way", () => {
    const l = new PartitionLedger();
    judge(l, [ev(MigrationRequested.type, "m-1"), ev(MigrationRequested.type, "m-2")]);
    expect(l.migration("m-1")?.decision).toEqual({ kind: "pending" });
    // m-1 not yet answered: still the one under way, so m-2 is refused naming it.
    expect(l.migration("m-2")).toMatchObject({
      stage: "ended",
      decision: { kind: "busy", running: "m-1" },
    });
    judge(l, [ev(MigrationAdmitted.type, "m-1"), ev(MigrationRequested.type, "m-3")]);
    expect(l.migration("m-3")?.decision).toEqual({ kind: "busy", running: "m-1" });
    expect(l.running("orders")).toBe("m-1");
    judge(l, [ev(MigrationCompleted.type, "m-1"), ev(MigrationRequested.type, "m-4")]);
    expect(l.migration("m-4")?.decision).toEqual({ kind: "pending" });
    expect(l.running("orders")).toBe("m-4");
  });

  it("frees the workload when admission refuses the request under way", () => {
    const l = new PartitionLedger();
    judge(l, [
      ev(MigrationRequested.type, "m-1"),
      ev(MigrationRequested.type, "m-2"),
      ev(MigrationRejected.type, "m-1", { code: "UNKNOWN_NODE", runningMigrationId: undefined }),
      ev(MigrationRequested.type, "m-3"),
    ]);
    expect(l.migration("m-1")?.stage).toBe("ended");
    expect(l.migration("m-2")?.decision).toEqual({ kind: "busy", running: "m-1" });
    expect(l.migration("m-3")?.decision).toEqual({ kind: "pending" });
  });

  it("keeps workloads apart: a migration of one never holds up another", () => {
    const l = new PartitionLedger();
    l.apply(ev(MigrationRequested.type, "m-1"), "orders");
    l.apply(ev(MigrationRequested.type, "m-2", { workload: "payments" }), "payments");
    expect(l.migration("m-2")?.decision).toEqual({ kind: "pending" });
  });

  it("gives a replayed request no second decision, answered or not, and changes nothing", () => {
    const l = new PartitionLedger();
    const log = [
      ev(MigrationRequested.type, "m-1"),
      ev(MigrationRequested.type, "m-1"),
      ev(MigrationAdmitted.type, "m-1"),
      ev(MigrationRequested.type, "m-1"),
      ev(MigrationCompleted.type, "m-1"),
      ev(MigrationRequested.type, "m-1"),
    ];
    expect(judge(l, log)).toEqual(["act", "stale", "act", "stale", "act", "late"]);
    expect(l.migration("m-1")?.stage).toBe("ended");
    expect(l.running("orders")).toBeUndefined();
  });

  it("gives a refused request no second decision either: its replay is not admitted later", () => {
    const l = new PartitionLedger();
    judge(l, [
      ev(MigrationRequested.type, "m-1"),
      ev(MigrationRequested.type, "m-2"),
      ev(MigrationAdmitted.type, "m-1"),
      ev(MigrationCompleted.type, "m-1"),
    ]);
    expect(judge(l, [ev(MigrationRequested.type, "m-2")])).toEqual(["late"]);
    expect(l.migration("m-2")?.decision).toEqual({ kind: "busy", running: "m-1" });
    expect(l.running("orders")).toBeUndefined();
  });

  it("lets the first verdict stand: a second one, even a differing one, is stale", () => {
    const l = new PartitionLedger();
    const log = [
      ev(MigrationRequested.type, "m-1"),
      ev(MigrationAdmitted.type, "m-1"),
      ev(MigrationAdmitted.type, "m-1"),
      ev(MigrationRejected.type, "m-1", { code: "UNKNOWN_INSTANCE" }),
    ];
    expect(judge(l, log)).toEqual(["act", "act", "stale", "stale"]);
    expect(l.migration("m-1")?.stage).toBe("admitted");
    expect(l.running("orders")).toBe("m-1");
  });

  it("confirms a busy refusal once, and never admits a refused request", () => {
    const l = new PartitionLedger();
    const log = [
      ev(MigrationRequested.type, "m-1"),
      ev(MigrationRequested.type, "m-2"),
      ev(MigrationRejected.type, "m-2"),
      ev(MigrationRejected.type, "m-2"),
      ev(MigrationAdmitted.type, "m-2"),
    ];
    expect(judge(l, log)).toEqual(["act", "act", "act", "late", "late"]);
  });

  it("dead-letters a request not keyed by its workload, and does not fold it", () => {
    const l = new PartitionLedger();
    expect(word(l.apply(ev(MigrationRequested.type, "m-1"), "m-1"))).toBe("invalid:misrouted");
    expect(word(l.apply(ev(MigrationRequested.type, "m-2"), null))).toBe("invalid:misrouted");
    expect(l.migration("m-1")).toBeUndefined();
    l.apply(ev(MigrationRequested.type, "m-3"), "orders");
    expect(l.migration("m-3")?.decision).toEqual({ kind: "pending" });
  });
});

describe("the ledger's judgement of steps", () => {
  const admitted = () => {
    const l = new PartitionLedger();
    judge(l, [ev(MigrationRequested.type, "m-1"), ev(MigrationAdmitted.type, "m-1")]);
    return l;
  };

  it("lets each step act once per round; its replay is stale", () => {
    const l = admitted();
    const round2 = { handoff: { ...sampleData()[CheckpointCreated.type].handoff, round: 2 } };
    expect(
      judge(l, [
        ev(CheckpointCreated.type, "m-1"),
        ev(CheckpointCreated.type, "m-1"),
        ev(CheckpointCreated.type, "m-1", round2),
      ]),
    ).toEqual(["act", "stale", "act"]);
  });

  it("finds late whatever comes after the migration ended or failed", () => {
    const l = admitted();
    expect(
      judge(l, [
        ev(MigrationFailed.type, "m-1"),
        ev(CheckpointImageReady.type, "m-1"),
        ev(MigrationFailed.type, "m-1"),
        ev(RolledBack.type, "m-1"),
        ev(ShadowCaughtUp.type, "m-1"),
        ev(RolledBack.type, "m-1"),
      ]),
    ).toEqual(["act", "late", "late", "act", "late", "late"]);
    expect(l.running("orders")).toBeUndefined();
  });

  it("lets each archived image act once after the end, and none before it", () => {
    const l = admitted();
    const other = { digest: `sha256:${"b".repeat(64)}` };
    expect(
      judge(l, [
        ev(CheckpointArchived.type, "m-1"),
        ev(MigrationCompleted.type, "m-1"),
        ev(CheckpointArchived.type, "m-1"),
        ev(CheckpointArchived.type, "m-1", other),
        ev(CheckpointArchived.type, "m-1"),
      ]),
    ).toEqual(["stale", "act", "act", "act", "late"]);
  });

  it("ends at once a failure that nobody compensates: the drain's", () => {
    const l = admitted();
    expect(judge(l, [ev(MigrationFailed.type, "m-1", { step: "drain" })])).toEqual(["act"]);
    expect(l.migration("m-1")?.stage).toBe("ended");
    expect(l.running("orders")).toBeUndefined();
  });

  it("finds a failure of a step the log already shows done too late: a watchdog's after the fence", () => {
    const l = admitted();
    const round1 = sampleData("m-1")[MigrationFailed.type].handoff;
    const round2 = { ...round1, round: 2 };
    expect(
      judge(l, [
        ev(ShadowCaughtUp.type, "m-1"),
        ev(FenceCompleted.type, "m-1"),
        ev(MigrationFailed.type, "m-1", { step: "fence", handoff: round1 }),
        ev(MigrationFailed.type, "m-1", { step: "catch-up", handoff: round1 }),
      ]),
    ).toEqual(["act", "act", "stale", "stale"]);
    expect(l.migration("m-1")?.stage).toBe("admitted");
    // The same step of the next round has not ended: its failure counts.
    expect(judge(l, [ev(MigrationFailed.type, "m-1", { step: "fence", handoff: round2 })])).toEqual(
      ["act"],
    );
    expect(l.migration("m-1")?.stage).toBe("failed");
  });

  it("does nothing for a step of a migration it never saw admitted", () => {
    const l = new PartitionLedger();
    l.apply(ev(MigrationRequested.type, "m-1"), "orders");
    expect(
      judge(l, [ev(CheckpointCreated.type, "m-1"), ev(CheckpointCreated.type, "m-9")]),
    ).toEqual(["stale", "stale"]);
  });
});

describe("the ledger as a function of the log", () => {
  const log: LedgerEvent[] = [
    ev(MigrationRequested.type, "m-1"),
    ev(MigrationRequested.type, "m-2"),
    ev(MigrationAdmitted.type, "m-1"),
    ev(MigrationRejected.type, "m-2"),
    ev(CheckpointCreated.type, "m-1"),
    ev(MigrationRequested.type, "m-3"),
    ev(CheckpointCreated.type, "m-1"),
    ev(MigrationFailed.type, "m-1"),
    ev(RolledBack.type, "m-1"),
    ev(MigrationRequested.type, "m-4"),
    ev(MigrationRequested.type, "m-3"),
  ];

  it("judges every event alike in every reader, and after a restart that folds the prefix again", () => {
    const once = judge(new PartitionLedger(), log);
    expect(judge(new PartitionLedger(), log)).toEqual(once);
    for (let cut = 0; cut <= log.length; cut++) {
      const restarted = new PartitionLedger();
      judge(restarted, log.slice(0, cut));
      expect(judge(restarted, log.slice(cut)), `restart at ${cut}`).toEqual(once.slice(cut));
    }
    expect(once).toEqual([
      "act",
      "act",
      "act",
      "act",
      "act",
      "act",
      "stale",
      "act",
      "act",
      "act",
      "late",
    ]);
  });
});
