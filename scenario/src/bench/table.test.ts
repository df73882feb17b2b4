import { describe, expect, it } from "vitest";
import { benchProfiles, gridOf } from "./grid.ts";
import { benchPlots } from "./plots.ts";
import { type BenchRow, failedRow } from "./row.ts";
import { benchTable, ratioTable, throughputTable } from "./table.ts";

function row(
  config: BenchRow["config"],
  rate: number,
  run: number,
  totalMs: number,
  downtime: number,
): BenchRow {
  return {
    config,
    rate,
    stateMb: 0,
    partitions: 4,
    run,
    status: "completed",
    buildMs: 300,
    transferMs: 400,
    pullMs: 200,
    criuRestoreMs: 150,
    imageBytes: 50e6,
    totalMs,
    phases: { checkpoint: 300, restore: 800 },
    identitySwapMs: 0,
    checkpointPauseMs: 120,
    handoverMs: 20,
    lagAtFence: 1,
    downtimeProbeMs: downtime,
    downtimeMessageMs: downtime,
    processingGapMs: downtime,
    processingGapBeyondSteadyLongestMs: downtime,
    stallMs: downtime + 100,
    longestStallMs: downtime + 50,
    maxExtraDelayMs: 100,
    lost: 0,
    duplicated: config === "sequential" ? 1 : 0,
    reordered: 0,
    stateViolations: config === "shadow" && run === 2 ? 3 : 0,
    sent: 500,
  };
}

describe("benchmark tables", () => {
  it("lays out the paper's grid: 4 configurations × 7 rates × 10 runs = 280 migrations", () => {
    const profile = benchProfiles.paper;
    if (!profile) throw new Error("no paper profile");
    expect(gridOf(profile)).toHaveLength(280);
    // Interleaved by run: the first cells cover every configuration before any repeats.
    expect(
      gridOf(profile)
        .slice(0, 4)
        .map((c) => c.config),
    ).toEqual(["sequential", "shadow", "shadow+swap", "shadow+direct"]);
  });

  it("crosses rates, state sizes and partition counts in the scale profile", () => {
    const profile = benchProfiles.scale;
    if (!profile) throw new Error("no scale profile");
    const cells = gridOf(profile);
    expect(Math.max(...cells.map((c) => c.rate))).toBe(10_000);
    expect(new Set(cells.map((c) => c.stateMb))).toEqual(new Set([100, 1024]));
    expect(new Set(cells.map((c) => c.partitions))).toEqual(new Set([1, 12]));
    // sequential, the registry, node to node and the stream, side by side
    expect(cells).toHaveLength(4 * 2 * 2 * 2);
  });

  it("reports medians and p95 per configuration and rate, and ratios from the same rows", () => {
    const rows = [
      row("sequential", 60, 1, 4000, 2000),
      row("sequential", 60, 2, 6000, 3000),
      row("shadow", 60, 1, 2000, 0),
      row("shadow", 60, 2, 3000, 0),
    ];
    const table = benchTable(rows);
    expect(table).toContain("| sequential | 60 | 0 | 4 | 2 |");
    // Nearest-rank median of [4000, 6000] is 4000; p95 is 6000.
    expect(table).toMatch(/\| sequential \| 60 \| 0 \| 4 \| 2 \|.*\| 4\.00 \(6\.00\) \|/);
    // lost, duplicated, state invariants broken, failed runs
    expect(table).toMatch(/\| sequential .*\| 0 \| 2 \| 0 \| 0 \|$/m);
    expect(table).toMatch(/\| shadow .*\| 0 \| 0 \| 3 \| 0 \|$/m);
    const ratios = ratioTable(rows, "shadow");
    expect(ratios).toContain("| 60 | 0 | 4 | 2.00 | 4.00 | 0.500 | 0.00 | 2.00 | 0.000 |");
  });

  it("prints each stage's throughput beside the machine's figures", () => {
    const streamed: BenchRow = {
      ...row("shadow+stream", 10_000, 1, 6_000, 0),
      stateMb: 1024,
      transfer: "stream",
      postCopy: true,
      dumpBytes: 1.1e9,
      checkpointPauseMs: 550,
      imageBytes: 2e6,
      transferMs: 40,
      phases: { image: 150, restore: 300 },
      firstRecordMs: 120,
      memoryMs: 1_800,
      replayPerSec: 60_000,
      inputPerSec: 10_000,
    };
    const table = throughputTable([streamed], "machine: memory copy 11.0 GB/s");
    expect(table.split("\n")[0]).toBe("machine: memory copy 11.0 GB/s");
    expect(table).toContain(
      "| shadow+stream | 10000 | 1024 | 4 | stream post-copy | 1100 | 0.55 | 2.00 | 2 | 0.04 | 0.05 | 0.15 | 0.30 | 0.42 | 1.80 | 60,000 | 10,000 | - |",
    );
  });

  it("keeps a run the harness could not finish, counted as failed and as unverified", () => {
    const cell = { config: "shadow" as const, rate: 60, stateMb: 0, partitions: 4, run: 2 };
    const rows = [row("shadow", 60, 1, 2000, 0), failedRow(cell, new Error("timed out"))];
    expect(rows[1]).toMatchObject({ status: "harness-error", failure: "timed out" });
    // The completed run's figures stand; lost and duplicated cannot be known for the other.
    expect(benchTable(rows)).toMatch(
      /\| shadow \| 60 \| 0 \| 4 \| 2 \|.*\| 0\+\? \| 0\+\? \| 0\+\? \| 1 \|$/m,
    );
  });
});

describe("benchmark plots", () => {
  it("draws the phase breakdown per configuration and total time and downtime against rate", async () => {
    const rows = [
      row("sequential", 10, 1, 5000, 1500),
      row("sequential", 60, 1, 4000, 2000),
      row("shadow", 10, 1, 2500, 0),
      row("shadow", 60, 1, 3000, 0),
    ];
    const plots = await benchPlots(rows);
    expect(plots.map((p) => p.name)).toEqual(["phases.svg", "total-and-downtime.svg"]);
    const [phases, byRate] = plots.map((p) => p.svg);
    expect(phases).toMatch(/^<svg/);
    // Bars per configuration, labelled; both phases the rows carry are in the legend.
    expect(phases).toContain(">sequential<");
    expect(phases).toContain(">checkpoint<");
    expect(phases).toContain(">restore<");
    expect(byRate).toContain(">total migration time<");
    expect(byRate).toContain(">downtime (10 ms HTTP probe)<");
  });
});
