import { z } from "zod";

/** The configurations a benchmark compares, as the SHADOW paper names them. */
export const benchConfigs = {
  sequential: { strategy: "sequential", identitySwap: false },
  shadow: { strategy: "shadow", identitySwap: false },
  "shadow+swap": { strategy: "shadow", identitySwap: true },
} as const;
export type BenchConfig = keyof typeof benchConfigs;

export const benchOptions = z.object({
  configs: z.array(z.enum(["sequential", "shadow", "shadow+swap"])).min(1),
  rates: z.array(z.number().int().min(10).max(10_000)).min(1),
  runs: z.number().int().min(1).max(100),
  costMs: z.number().min(0),
  ballastMb: z.number().int().min(0).max(1024),
  partitions: z.number().int().min(1).max(64),
  warmupMs: z.number().int().min(0),
  cooldownMs: z.number().int().min(0),
});
export type BenchOptions = z.infer<typeof benchOptions>;

/** Named profiles; `paper` is the SHADOW paper's grid (7 rates, 10 runs each). */
export const benchProfiles: Record<string, BenchOptions> = {
  quick: {
    configs: ["sequential", "shadow", "shadow+swap"],
    rates: [10, 60],
    runs: 1,
    costMs: 10,
    ballastMb: 0,
    partitions: 4,
    warmupMs: 3_000,
    cooldownMs: 2_000,
  },
  paper: {
    configs: ["sequential", "shadow", "shadow+swap"],
    rates: [10, 20, 40, 60, 80, 100, 120],
    runs: 10,
    costMs: 10,
    ballastMb: 0,
    partitions: 4,
    warmupMs: 5_000,
    cooldownMs: 3_000,
  },
};

export interface BenchCell {
  config: BenchConfig;
  rate: number;
  run: number;
}

/** Every run of the grid, interleaved by run so a slow spell of the machine hits all configs. */
export function gridOf(o: BenchOptions): BenchCell[] {
  const cells: BenchCell[] = [];
  for (let run = 1; run <= o.runs; run++) {
    for (const rate of o.rates) for (const config of o.configs) cells.push({ config, rate, run });
  }
  return cells;
}
