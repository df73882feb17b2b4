import { describe, expect, it } from "vitest";
import { benchProfiles, gridOf } from "./grid.ts";
import type { BenchRow } from "./row.ts";
import { benchTable, ratioTable } from "./table.ts";

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
    run,
    status: "completed",
    totalMs,
    phases: { checkpoint: 300, restore: 800 },
    identitySwapMs: 0,
    checkpointPauseMs: 120,
    handoverMs: 20,
    lagAtFence: 1,
    downtimeProbeMs: downtime,
    downtimeMessageMs: downtime,
    maxExtraDelayMs: 100,
    lost: 0,
    duplicated: config === "sequential" ? 1 : 0,
    reordered: 0,
    sent: 500,
  };
}

describe("benchmark tables", () => {
  it("lays out the paper's grid: 3 configurations × 7 rates × 10 runs = 210 migrations", () => {
    const profile = benchProfiles.paper;
    if (!profile) throw new Error("no paper profile");
    expect(gridOf(profile)).toHaveLength(210);
    // Interleaved by run: the first cells cover every configuration before any repeats.
    expect(
      gridOf(profile)
        .slice(0, 3)
        .map((c) => c.config),
    ).toEqual(["sequential", "shadow", "shadow+swap"]);
  });

  it("reports medians and p95 per configuration and rate, and ratios from the same rows", () => {
    const rows = [
      row("sequential", 60, 1, 4000, 2000),
      row("sequential", 60, 2, 6000, 3000),
      row("shadow", 60, 1, 2000, 0),
      row("shadow", 60, 2, 3000, 0),
    ];
    const table = benchTable(rows);
    expect(table).toContain("| sequential | 60 | 2 |");
    // Nearest-rank median of [4000, 6000] is 4000; p95 is 6000.
    expect(table).toMatch(/\| sequential \| 60 \| 2 \|.*\| 4\.00 \(6\.00\) \|/);
    expect(table).toMatch(/\| sequential .*\| 0 \| 2 \|$/m);
    const ratios = ratioTable(rows, "shadow");
    expect(ratios).toContain("| 60 | 0.500 | 0.000 |");
  });
});
