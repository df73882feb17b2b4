import type { BenchRow } from "./row.ts";

export interface MedianRun {
  /** The configuration's cell, e.g. `shadow+swap @ 60 msg/s, 0 MB, 4 partitions`. */
  label: string;
  /** A file name for it: `timeline-shadow-swap-60-0-4.svg`. */
  file: string;
  /** Index of the median run's row. */
  index: number;
}

/**
 * The median run of each configuration cell (config, rate, state, partitions) by total time,
 * among its completed runs (the lower median of an even count): the run a figure of the cell
 * should show, rather than its best or its worst.
 */
export function medianRuns(rows: readonly BenchRow[]): MedianRun[] {
  const cells = new Map<string, { row: BenchRow; index: number }[]>();
  rows.forEach((row, index) => {
    if (row.status !== "completed") return;
    const key = `${row.config}|${row.rate}|${row.stateMb}|${row.partitions}`;
    cells.set(key, [...(cells.get(key) ?? []), { row, index }]);
  });
  return [...cells.values()].map((runs) => {
    const sorted = [...runs].sort((a, b) => a.row.totalMs - b.row.totalMs);
    const { row, index } = sorted[Math.floor((sorted.length - 1) / 2)] as (typeof sorted)[number];
    return {
      label: `${row.config} @ ${row.rate} msg/s, ${row.stateMb} MB, ${row.partitions} partitions`,
      file: `timeline-${row.config.replace(/\+/g, "-")}-${row.rate}-${row.stateMb}-${row.partitions}.svg`,
      index,
    };
  });
}
