import { nodeName, type pressureKind, strategy } from "@shadow/events";
import { z } from "zod";
import { blackoutWindow } from "./blackout.ts";

const fraction = z.number().gt(0).lt(1);
const percent = z.number().min(0).max(100);
const ms = z.number().int().min(0);

/** High and low marks of one figure: the signal enters at `high`, clears at or below `low`. */
const marks = (value: z.ZodNumber) =>
  z
    .object({ high: value, low: value })
    .refine(
      (m: { high: number; low: number }) => m.low < m.high,
      "the low mark must lie below the high mark",
    );

/**
 * The policy's knobs. The defaults act well before a kubelet would evict (its hard threshold is
 * memory.available < 100Mi, and it ignores PodDisruptionBudgets when it does): a node is under
 * memory pressure from 85% of its limit, held for 15 s, and out of it at 75% held for 60 s.
 */
export const PolicyConfig = z.object({
  /** Decide and say so, start nothing. */
  dryRun: z.boolean().default(false),
  /** Memory the node's processes use, as a fraction of the node's limit. */
  memory: marks(fraction).default({ high: 0.85, low: 0.75 }),
  /** Memory PSI (percent of wall time stalled) over the chosen window, `some` and `full`. */
  psi: z
    .object({
      window: z.enum(["avg10", "avg60"]).default("avg10"),
      some: marks(percent).default({ high: 20, low: 5 }),
      full: marks(percent).default({ high: 5, low: 1 }),
    })
    .default({ window: "avg10", some: { high: 20, low: 5 }, full: { high: 5, low: 1 } }),
  /** How long a figure must stay above its high mark before the node is under pressure. */
  holdMs: ms.default(15_000),
  /** How long it must stay at or below its low mark before the pressure clears. */
  clearMs: ms.default(60_000),
  /** A workload that moved is not moved again for this long (counted from its migration's end). */
  cooldownMs: ms.default(5 * 60_000),
  /** Migrations at once (all of them, whoever asked), per node they leave, per node they go to, in all. */
  limits: z
    .object({
      perSource: z.number().int().min(1).default(1),
      perTarget: z.number().int().min(1).default(1),
      /** A number, or a percentage of the nodes (rounded up, at least 1), as Karpenter's budgets. */
      total: z
        .union([z.number().int().min(1), z.string().regex(/^\d{1,3}%$/, "a number or N%")])
        .default("10%"),
    })
    .default({ perSource: 1, perTarget: 1, total: "10%" }),
  /** The nodes this policy looks after (sources and targets); empty: every node. */
  nodes: z.array(nodeName).default([]),
  /** Nodes whose workloads never move by themselves (they may still receive some). */
  disabledNodes: z.array(nodeName).default([]),
  /** When nothing starts (Karpenter's budgets with `nodes: 0`). */
  blackouts: z.array(blackoutWindow).default([]),
  /** Whether a cordon alone (without a drain) moves the node's workloads. */
  onCordon: z.enum(["migrate", "ignore"]).default("migrate"),
  /** How the migrations it starts run. */
  strategy: strategy.default("shadow"),
});
export type PolicyConfig = z.infer<typeof PolicyConfig>;
export type PressureKind = z.infer<typeof pressureKind>;

/** Every default: `policyConfig({ dryRun: true })` for a variant. */
export function policyConfig(input: z.input<typeof PolicyConfig> = {}): PolicyConfig {
  return PolicyConfig.parse(input);
}

/** The total budget for a cluster of `nodes` nodes. */
export function totalLimit(config: PolicyConfig, nodes: number): number {
  const total = config.limits.total;
  if (typeof total === "number") return total;
  return Math.max(1, Math.ceil((nodes * Number(total.slice(0, -1))) / 100));
}
