import { describe, expect, it } from "vitest";
import { medianRuns } from "./median-runs.ts";
import { type BenchRow, failedRow } from "./row.ts";

const row = (config: BenchRow["config"], rate: number, run: number, totalMs: number): BenchRow =>
  ({ config, rate, stateMb: 0, partitions: 4, run, status: "completed", totalMs }) as BenchRow;

describe("the median run of each configuration", () => {
  it("is the run with the median total time of each cell, the lower one of an even count, failures left out", () => {
    const rows = [
      row("shadow", 60, 1, 3000),
      row("sequential", 60, 1, 1500),
      row("shadow", 60, 2, 2000),
      row("shadow", 60, 3, 9000),
      row("sequential", 60, 2, 1700),
      failedRow({ config: "shadow", rate: 60, stateMb: 0, partitions: 4, run: 4 }, new Error("x")),
      row("shadow+swap", 10, 1, 4000),
    ];
    expect(medianRuns(rows)).toEqual([
      {
        label: "shadow @ 60 msg/s, 0 MB, 4 partitions",
        file: "timeline-shadow-60-0-4.svg",
        index: 0,
      },
      {
        label: "sequential @ 60 msg/s, 0 MB, 4 partitions",
        file: "timeline-sequential-60-0-4.svg",
        index: 1,
      },
      {
        label: "shadow+swap @ 10 msg/s, 0 MB, 4 partitions",
        file: "timeline-shadow-swap-10-0-4.svg",
        index: 6,
      },
    ]);
  });
});
