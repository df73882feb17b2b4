export {
  type BenchConfig,
  type BenchOptions,
  benchConfigs,
  benchOptions,
  benchProfiles,
  gridOf,
  serviceDeadlines,
} from "./grid.ts";
export { type MedianRun, medianRuns } from "./median-runs.ts";
export { benchPlots, type Plot } from "./plots.ts";
export { type BenchRow, failedRow, rowOf } from "./row.ts";
export { runBench } from "./run-bench.ts";
export { benchTable, ratioTable } from "./table.ts";
