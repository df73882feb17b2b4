import { hostEnv } from "@shadow/host";
import { z } from "zod";
import { PolicyConfig } from "./policy/config.ts";

const list = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean),
  );
const num = z.coerce.number();
const json = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: "custom", message: "not JSON" });
    return z.NEVER;
  }
});

/** pressure-svc's environment: the host's, how it watches, and the policy's knobs. */
export const pressureEnv = hostEnv.extend({
  /** `on`: decide and migrate; `dry-run`: decide and say so only; `off`: do not watch. */
  SHADOW_PRESSURE_MODE: z.enum(["on", "dry-run", "off"]).default("on"),
  SHADOW_PRESSURE_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),
  SHADOW_PRESSURE_RESYNC_MS: z.coerce.number().int().min(1_000).default(30_000),
  SHADOW_PRESSURE_MEMORY_HIGH: num.optional(),
  SHADOW_PRESSURE_MEMORY_LOW: num.optional(),
  SHADOW_PRESSURE_PSI_WINDOW: z.enum(["avg10", "avg60"]).optional(),
  SHADOW_PRESSURE_PSI_SOME_HIGH: num.optional(),
  SHADOW_PRESSURE_PSI_SOME_LOW: num.optional(),
  SHADOW_PRESSURE_PSI_FULL_HIGH: num.optional(),
  SHADOW_PRESSURE_PSI_FULL_LOW: num.optional(),
  SHADOW_PRESSURE_HOLD_MS: z.coerce.number().int().optional(),
  SHADOW_PRESSURE_CLEAR_MS: z.coerce.number().int().optional(),
  SHADOW_PRESSURE_COOLDOWN_MS: z.coerce.number().int().optional(),
  SHADOW_PRESSURE_MAX_PER_SOURCE: z.coerce.number().int().optional(),
  SHADOW_PRESSURE_MAX_PER_TARGET: z.coerce.number().int().optional(),
  /** A number, or N% of the nodes. */
  SHADOW_PRESSURE_MAX_TOTAL: z.string().optional(),
  SHADOW_PRESSURE_NODES: list,
  SHADOW_PRESSURE_DISABLED_NODES: list,
  /** JSON: `[{"schedule":"0 9 * * mon-fri","duration":"8h"}]`. */
  SHADOW_PRESSURE_BLACKOUTS: json.optional(),
  SHADOW_PRESSURE_ON_CORDON: z.enum(["migrate", "ignore"]).optional(),
  SHADOW_PRESSURE_STRATEGY: z.enum(["shadow", "sequential"]).optional(),
});
export type PressureEnv = z.infer<typeof pressureEnv>;

/** The policy's knobs from the environment; throws naming what is wrong. */
export function policyFromEnv(env: PressureEnv): PolicyConfig {
  const defaults = PolicyConfig.parse({});
  const pick = <T>(value: T | undefined, fallback: T): T => value ?? fallback;
  const total = env.SHADOW_PRESSURE_MAX_TOTAL;
  const parsed = PolicyConfig.safeParse({
    dryRun: env.SHADOW_PRESSURE_MODE === "dry-run",
    memory: {
      high: pick(env.SHADOW_PRESSURE_MEMORY_HIGH, defaults.memory.high),
      low: pick(env.SHADOW_PRESSURE_MEMORY_LOW, defaults.memory.low),
    },
    psi: {
      window: pick(env.SHADOW_PRESSURE_PSI_WINDOW, defaults.psi.window),
      some: {
        high: pick(env.SHADOW_PRESSURE_PSI_SOME_HIGH, defaults.psi.some.high),
        low: pick(env.SHADOW_PRESSURE_PSI_SOME_LOW, defaults.psi.some.low),
      },
      full: {
        high: pick(env.SHADOW_PRESSURE_PSI_FULL_HIGH, defaults.psi.full.high),
        low: pick(env.SHADOW_PRESSURE_PSI_FULL_LOW, defaults.psi.full.low),
      },
    },
    holdMs: pick(env.SHADOW_PRESSURE_HOLD_MS, defaults.holdMs),
    clearMs: pick(env.SHADOW_PRESSURE_CLEAR_MS, defaults.clearMs),
    cooldownMs: pick(env.SHADOW_PRESSURE_COOLDOWN_MS, defaults.cooldownMs),
    limits: {
      perSource: pick(env.SHADOW_PRESSURE_MAX_PER_SOURCE, defaults.limits.perSource),
      perTarget: pick(env.SHADOW_PRESSURE_MAX_PER_TARGET, defaults.limits.perTarget),
      total:
        total === undefined ? defaults.limits.total : /^\d+$/.test(total) ? Number(total) : total,
    },
    nodes: env.SHADOW_PRESSURE_NODES,
    disabledNodes: env.SHADOW_PRESSURE_DISABLED_NODES,
    blackouts: env.SHADOW_PRESSURE_BLACKOUTS ?? [],
    onCordon: pick(env.SHADOW_PRESSURE_ON_CORDON, defaults.onCordon),
    strategy: pick(env.SHADOW_PRESSURE_STRATEGY, defaults.strategy),
  });
  if (!parsed.success) {
    throw new Error(`pressure-svc: invalid policy configuration\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
