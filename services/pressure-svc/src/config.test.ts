import { describe, expect, it } from "vitest";
import { policyFromEnv, pressureEnv } from "./config.ts";

const parse = (env: Record<string, string>) => policyFromEnv(pressureEnv.parse(env));

describe("pressure-svc's configuration", () => {
  it("defaults to the documented policy", () => {
    const policy = parse({});
    expect(policy).toMatchObject({
      dryRun: false,
      memory: { high: 0.85, low: 0.75 },
      psi: { window: "avg10", some: { high: 20, low: 5 }, full: { high: 5, low: 1 } },
      holdMs: 15_000,
      clearMs: 60_000,
      cooldownMs: 300_000,
      limits: { perSource: 1, perTarget: 1, total: "10%" },
      nodes: [],
      disabledNodes: [],
      blackouts: [],
      onCordon: "migrate",
      strategy: "shadow",
    });
  });

  it("reads every knob from the environment", () => {
    const policy = parse({
      SHADOW_PRESSURE_MODE: "dry-run",
      SHADOW_PRESSURE_MEMORY_HIGH: "0.5",
      SHADOW_PRESSURE_MEMORY_LOW: "0.3",
      SHADOW_PRESSURE_MAX_TOTAL: "3",
      SHADOW_PRESSURE_NODES: "node-a, node-b",
      SHADOW_PRESSURE_BLACKOUTS: '[{"schedule":"0 9 * * mon-fri","duration":"8h"}]',
    });
    expect(policy).toMatchObject({
      dryRun: true,
      memory: { high: 0.5, low: 0.3 },
      limits: { total: 3 },
      nodes: ["node-a", "node-b"],
      blackouts: [{ schedule: "0 9 * * mon-fri", duration: "8h" }],
    });
  });

  it("refuses marks the wrong way round, a bad budget and a bad blackout, naming them", () => {
    expect(() =>
      parse({ SHADOW_PRESSURE_MEMORY_HIGH: "0.5", SHADOW_PRESSURE_MEMORY_LOW: "0.6" }),
    ).toThrow(/low mark must lie below the high mark/);
    expect(() => parse({ SHADOW_PRESSURE_MAX_TOTAL: "ten" })).toThrow(/limits\.total/);
    expect(() =>
      parse({ SHADOW_PRESSURE_BLACKOUTS: '[{"schedule":"61 * * * *","duration":"1h"}]' }),
    ).toThrow(/schedule/);
    expect(() => parse({ SHADOW_PRESSURE_BLACKOUTS: "[{" })).toThrow();
  });
});
