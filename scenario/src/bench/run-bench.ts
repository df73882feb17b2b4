import { randomBytes } from "node:crypto";
import type { WorkloadEnvironment } from "../environment.ts";
import type { ScenarioReport } from "../report.ts";
import { runScenario } from "../scenario.ts";
import { type BenchOptions, benchConfigs, gridOf } from "./grid.ts";
import { type BenchRow, failedRow, rowOf } from "./row.ts";

/**
 * Runs every cell of the grid as one live migration on the same environment, side by side,
 * and returns one row per run. A run that fails outright is recorded as failed, not dropped.
 */
export async function runBench(
  env: WorkloadEnvironment,
  o: BenchOptions,
  progress: (done: number, total: number, row: BenchRow | undefined, error?: Error) => void,
  /** Each completed run's report, with the index of its row (e.g. to keep its timeline). */
  onReport?: (index: number, report: ScenarioReport) => void,
): Promise<BenchRow[]> {
  const cells = gridOf(o);
  // Names of this invocation alone: the log keeps every earlier run's migrations.
  const tag = randomBytes(2).toString("hex");
  const rows: BenchRow[] = [];
  for (const [i, cell] of cells.entries()) {
    try {
      const report = await runScenario(env, {
        workload: `bench-${cell.config.replace("+", "-")}-${cell.rate}-${cell.stateMb}-${cell.partitions}-${tag}-${cell.run}`,
        ...benchConfigs[cell.config],
        rate: cell.rate,
        partitions: cell.partitions,
        costMs: o.costMs,
        ballastMb: cell.stateMb,
        warmupMs: o.warmupMs,
        cooldownMs: o.cooldownMs,
        migrationTimeoutMs: o.migrationTimeoutMs,
      });
      const row = rowOf(cell, report);
      rows.push(row);
      onReport?.(rows.length - 1, report);
      progress(i + 1, cells.length, row);
    } catch (error) {
      rows.push(failedRow(cell, error as Error));
      progress(i + 1, cells.length, undefined, error as Error);
    }
  }
  return rows;
}
