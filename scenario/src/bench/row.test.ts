import { describe, expect, it } from "vitest";
import type { ScenarioReport } from "../report.ts";
import { rowOf } from "./row.ts";

const t0 = Date.parse("2026-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(t0 + ms).toISOString();

/** The parts of a report a bench row reads. */
function report(
  outage: { ms: number; from: number },
  maxDelayedSentAt: number,
  downtime = { ms: 0, from: 0 },
  gap = { beyondSteadyMs: 0, from: 0 },
): ScenarioReport {
  return {
    migration: {
      status: "completed",
      totalMs: 5_000,
      checkpointPauseMs: 100,
      phases: [
        { round: 1, phase: "checkpoint", startedAt: at(0), endedAt: at(1_000), ms: 1_000 },
        { round: 1, phase: "image", startedAt: at(1_000), endedAt: at(3_000), ms: 2_000 },
        { round: 1, phase: "restore", startedAt: at(3_000), endedAt: at(5_000), ms: 2_000 },
      ],
      work: [],
    },
    probe: {
      probes: 500,
      failures: outage.ms / 10,
      longestOutageMs: outage.ms,
      longestOutage: {
        from: t0 + outage.from,
        to: t0 + outage.from + outage.ms,
        endpoints: [],
        why: ["10.0.0.1:8080: ECONNREFUSED"],
      },
      slowestAnswerMs: 30,
    },
    verify: {
      downtime: {
        longest: {
          ms: downtime.ms,
          from: t0 + downtime.from,
          to: t0 + downtime.from + downtime.ms,
        },
        spans: [],
      },
      processingGap: {
        beyondSteadyMs: gap.beyondSteadyMs,
        // The steady state's longest gap is 20 ms above its p99 here.
        beyondSteadyLongestMs: Math.max(0, gap.beyondSteadyMs - 20),
        longest: { ms: gap.beyondSteadyMs + 5, from: t0 + gap.from, to: 0 },
      },
      stall: { beyondSteadyMs: 140 },
      maxExtraDelayMs: 120,
      maxDelayed: { sentAt: t0 + maxDelayedSentAt },
      lost: { count: 0 },
      duplicated: { count: 0 },
      reordered: { count: 0 },
      balances: { wrong: 1 },
      outSeq: { repeated: 2, skipped: 3, inconsistent: 4 },
    },
    stall: {
      ms: 2_500,
      from: t0 + 5_100,
      to: t0 + 7_600,
      phase: "after +100 ms",
      cause: "no copy answered its health probe",
    },
    load: { sent: 1_000, achievedRate: 200 },
    drain: { drained: false, inputs: 1_000, processed: 990, inFlightOutputs: 0, primaries: 1 },
  } as unknown as ScenarioReport;
}

const cell = {
  config: "shadow+direct",
  rate: 10_000,
  stateMb: 1024,
  partitions: 12,
  run: 1,
} as const;

describe("bench row", () => {
  it("names the phase the longest probe outage began in, and the slowest input's", () => {
    const row = rowOf(cell, report({ ms: 6_000, from: 1_250 }, 3_400));
    expect(row.downtimeProbeMs).toBe(6_000);
    expect(row.downtimeProbeIn).toBe("1 image +250 ms");
    expect(row.downtimeProbeWhy).toBe("10.0.0.1:8080: ECONNREFUSED");
    expect(row.maxDelayedIn).toBe("1 restore +400 ms");
    // Downtime (nothing consumed) and the stall (no output) are two columns.
    expect(row.downtimeMessageMs).toBe(0);
    expect(row.stallMs).toBe(140);
    // The longest stall stands beside downtime with where it began and why.
    expect(row.longestStallMs).toBe(2_500);
    expect(row.longestStallIn).toBe("after +100 ms");
    expect(row.longestStallCause).toBe("no copy answered its health probe");
    // The primary had not drained when the outputs were read: the row says so beside `lost`.
    expect(row.drained).toBe(false);
    // Every broken state invariant counts: a wrong balance and each kind of outSeq anomaly.
    expect(row.stateViolations).toBe(10);
  });

  it("places an outage outside the phases before or after the migration", () => {
    // The phases run from 0 to 5,000 ms.
    expect(rowOf(cell, report({ ms: 4_000, from: 7_000 }, 500)).downtimeProbeIn).toBe(
      "after +2000 ms",
    );
    expect(rowOf(cell, report({ ms: 300, from: -800 }, 500)).downtimeProbeIn).toBe(
      "before -800 ms",
    );
  });

  it("names the phase the longest message-level downtime began in, when there was some", () => {
    const row = rowOf(cell, report({ ms: 0, from: 0 }, 500, { ms: 1_200, from: 900 }));
    expect(row.downtimeMessageMs).toBe(1_200);
    expect(row.downtimeMessageIn).toBe("1 checkpoint +900 ms");
    expect(row.processingGapIn).toBeUndefined();
  });

  it("names where the longest processing gap began when it went beyond steady state", () => {
    const row = rowOf(
      cell,
      report({ ms: 0, from: 0 }, 500, undefined, { beyondSteadyMs: 40, from: 3_100 }),
    );
    expect(row.downtimeMessageMs).toBe(0);
    expect(row.downtimeMessageIn).toBeUndefined();
    expect(row.processingGapMs).toBe(40);
    expect(row.processingGapBeyondSteadyLongestMs).toBe(20);
    expect(row.processingGapIn).toBe("1 restore +100 ms");
  });

  it("names no phase when the probe saw no outage", () => {
    const row = rowOf(cell, report({ ms: 0, from: 1_250 }, 500));
    expect(row.downtimeProbeIn).toBeUndefined();
    expect(row.downtimeMessageIn).toBeUndefined();
    expect(row.maxDelayedIn).toBe("1 checkpoint +500 ms");
  });
});
