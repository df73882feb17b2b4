import { z } from "zod";

/**
 * The configurations a benchmark compares. The SHADOW paper's four map onto them: sequential
 * (StatefulSet stop-recreate), shadow (ShadowPod), shadow+swap (ShadowPod with the identity
 * swap), and shadow+direct: ShadowPod with the image copied node to node instead of through
 * the registry (the paper's fourth column, Deployment ShadowPod, differs from shadow only in
 * Kubernetes' ownership, which the local runtime does not have). shadow+stream streams the dump
 * to the target (post-copy where the kernel can: the copy starts before its memory is in) and
 * builds the OCI image after the migration; shadow+stream+swap adds the identity swap.
 */
export const benchConfigs = {
  sequential: { strategy: "sequential", identitySwap: false, imageTransfer: "registry" },
  shadow: { strategy: "shadow", identitySwap: false, imageTransfer: "registry" },
  "shadow+swap": { strategy: "shadow", identitySwap: true, imageTransfer: "registry" },
  "shadow+direct": { strategy: "shadow", identitySwap: false, imageTransfer: "node-to-node" },
  "shadow+stream": { strategy: "shadow", identitySwap: false, imageTransfer: "stream" },
  "shadow+stream+swap": { strategy: "shadow", identitySwap: true, imageTransfer: "stream" },
} as const;
export type BenchConfig = keyof typeof benchConfigs;
const configNames = Object.keys(benchConfigs) as [BenchConfig, ...BenchConfig[]];

export const benchOptions = z.object({
  configs: z.array(z.enum(configNames)).min(1),
  rates: z.array(z.number().int().min(10).max(10_000)).min(1),
  /** Extra state the workload holds (ballast), in MB; the Node.js process adds ~50 MB. */
  stateMb: z.array(z.number().int().min(0).max(1024)).min(1),
  partitions: z.array(z.number().int().min(1).max(64)).min(1),
  runs: z.number().int().min(1).max(100),
  costMs: z.number().min(0),
  warmupMs: z.number().int().min(0),
  cooldownMs: z.number().int().min(0),
  /** A run whose migration takes longer is recorded as failed; the load stops by itself. */
  migrationTimeoutMs: z.number().int().positive(),
});
export type BenchOptions = z.infer<typeof benchOptions>;

/** The paper's four columns. */
const paperConfigs: BenchConfig[] = ["sequential", "shadow", "shadow+swap", "shadow+direct"];
const allConfigs: BenchConfig[] = [...paperConfigs, "shadow+stream", "shadow+stream+swap"];

/**
 * Named profiles. `paper` is the SHADOW paper's grid (its 4 configurations, 7 rates, 10 runs:
 * 280 migrations; `--configs` adds the stream ones); `quick` every configuration once at two
 * rates; `scale` goes past the paper: thousands of messages a second at a cheap processing
 * cost, 100 MB and 1 GB of state, one and twelve partitions, the stream beside the registry
 * and node to node.
 */
export const benchProfiles: Record<string, BenchOptions> = {
  quick: {
    configs: allConfigs,
    rates: [10, 60],
    stateMb: [0],
    partitions: [4],
    runs: 1,
    costMs: 10,
    warmupMs: 3_000,
    cooldownMs: 2_000,
    migrationTimeoutMs: 60_000,
  },
  paper: {
    configs: paperConfigs,
    rates: [10, 20, 40, 60, 80, 100, 120],
    stateMb: [0],
    partitions: [4],
    runs: 10,
    costMs: 10,
    warmupMs: 3_000,
    cooldownMs: 2_000,
    migrationTimeoutMs: 60_000,
  },
  scale: {
    // Node-to-node and the registry beside the stream: at 1 GB the registry's push and pull
    // are most of their image phase.
    configs: ["sequential", "shadow", "shadow+direct", "shadow+stream"],
    // At 10,000 msg/s a saturated machine builds and moves a 1 GB image slowly, and the
    // catch-up runs under auto-converge: minutes, not seconds.
    rates: [1_000, 10_000],
    stateMb: [100, 1024],
    partitions: [1, 12],
    runs: 1,
    costMs: 0,
    warmupMs: 5_000,
    cooldownMs: 3_000,
    migrationTimeoutMs: 600_000,
  },
};

/**
 * The services' deadlines for a profile: their defaults (a 60 s step, a 120 s catch-up), or
 * longer ones that fit a longer migration timeout, so the harness's bound is the one that holds.
 */
export function serviceDeadlines(migrationTimeoutMs: number): Record<string, string> {
  return {
    SHADOW_STEP_DEADLINE_MS: String(Math.max(60_000, Math.round(migrationTimeoutMs / 4))),
    SHADOW_CATCH_UP_TIMEOUT_MS: String(Math.max(120_000, Math.round(migrationTimeoutMs / 2))),
  };
}

export interface BenchCell {
  config: BenchConfig;
  rate: number;
  stateMb: number;
  partitions: number;
  run: number;
}

/**
 * Every run of the grid, interleaved by run (and by configuration innermost) so a slow spell
 * of the machine hits every configuration alike.
 */
export function gridOf(o: BenchOptions): BenchCell[] {
  const cells: BenchCell[] = [];
  for (let run = 1; run <= o.runs; run++) {
    for (const stateMb of o.stateMb) {
      for (const partitions of o.partitions) {
        for (const rate of o.rates) {
          for (const config of o.configs) cells.push({ config, rate, stateMb, partitions, run });
        }
      }
    }
  }
  return cells;
}
