export {
  type BenchConfig,
  type BenchOptions,
  benchConfigs,
  benchOptions,
  benchProfiles,
  gridOf,
} from "./grid.ts";
export { benchPlots, type Plot } from "./plots.ts";
export { type BenchRow, rowOf } from "./row.ts";
export { runBench } from "./run-bench.ts";
export { benchTable, ratioTable } from "./table.ts";
