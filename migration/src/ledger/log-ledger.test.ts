import {
  CheckpointCreated,
  type EventType,
  FencePassed,
  MigrationAdmitted,
  MigrationCompleted,
  MigrationRequested,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { describe, expect, it } from "vitest";
import { LogLedger } from "./log-ledger.ts";

const ev = (type: EventType, id: string) => ({ type, data: sampleData(id)[type] });
const at = (partition: number, offset: number) => ({
  partition,
  offset: String(offset),
  key: "orders",
});

describe("the log's ledger", () => {
  it("knows the next offset it has folded to per partition, and nothing of a partition unseen", () => {
    const l = new LogLedger();
    expect(l.expects(0, "0")).toBe(false);
    l.apply(ev(MigrationRequested.type, "m-1"), at(0, 7));
    expect(l.expects(0, "8")).toBe(true);
    expect(l.expects(0, "9")).toBe(false);
    expect(l.folded(0, "7")).toBe(true);
    expect(l.folded(0, "8")).toBe(false);
    l.mark(3, "120");
    expect(l.expects(3, "120")).toBe(true);
  });

  it("forgets a partition on reset, so it can be folded again from its start", () => {
    const l = new LogLedger();
    l.apply(ev(MigrationRequested.type, "m-1"), at(2, 0));
    l.reset(2);
    expect(l.migration("m-1")).toBeUndefined();
    expect(l.running("orders")).toBeUndefined();
    expect(l.expects(2, "1")).toBe(false);
  });

  it("remembers verdicts read ahead of the folded point, for admission after a restart", () => {
    const l = new LogLedger();
    l.noteVerdictAhead(ev(MigrationAdmitted.type, "m-1"));
    l.noteVerdictAhead(ev(CheckpointCreated.type, "m-2"));
    expect(l.answeredAhead("m-1")).toBe(true);
    expect(l.answeredAhead("m-2")).toBe(false);
  });

  it("judges a fence event by where its migration stands in the migrations log", () => {
    const l = new LogLedger();
    expect(l.judgeOutside(ev(FencePassed.type, "m-1")).kind).toBe("stale");
    l.apply(ev(MigrationRequested.type, "m-1"), at(1, 0));
    l.apply(ev(MigrationAdmitted.type, "m-1"), at(1, 1));
    expect(l.judgeOutside(ev(FencePassed.type, "m-1")).kind).toBe("act");
    l.apply(ev(MigrationCompleted.type, "m-1"), at(1, 2));
    expect(l.judgeOutside(ev(FencePassed.type, "m-1"))).toMatchObject({
      kind: "stale",
      ended: true,
    });
  });
});
