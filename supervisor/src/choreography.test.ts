import { describe, expect, it } from "vitest";
import { choreographyServices, choreographySpecs } from "./choreography.ts";
import { loadServeConfig } from "./config.ts";

describe("the choreography as the supervisor runs it", () => {
  it("gives every service the same group env and its own health and metrics ports", async () => {
    const specs = await choreographySpecs({
      shadowEnv: "local",
      gatewayPort: 8480,
      healthPortBase: 8490,
      metricsPortBase: 9470,
      env: { SHADOW_TOKEN: "a-token-of-ours" },
    });
    expect(specs.map((s) => s.name)).toEqual([...choreographyServices]);
    expect(specs.map((s) => s.env.SHADOW_HEALTH_PORT)).toEqual([
      "8491",
      "8492",
      "8493",
      "8494",
      "8495",
      "8496",
      "8497",
    ]);
    expect(specs.map((s) => s.env.SHADOW_METRICS_PORT)).toEqual([
      "9471",
      "9472",
      "9473",
      "9474",
      "9475",
      "9476",
      "9477",
    ]);
    expect(specs.map((s) => s.healthUrl)[5]).toBe("http://127.0.0.1:8496");
    for (const spec of specs) {
      expect(spec.env).toMatchObject({
        SHADOW_ENV: "local",
        SHADOW_GATEWAY_PORT: "8480",
        SHADOW_TOKEN: "a-token-of-ours",
      });
      expect(spec.args.at(-1)).toMatch(new RegExp(`services/${spec.name}/src/main\\.ts$`));
    }
  });

  it("picks distinct free ports when the base is 0", async () => {
    const specs = await choreographySpecs({
      shadowEnv: "run-1",
      gatewayPort: 8480,
      healthPortBase: 0,
      metricsPortBase: 0,
    });
    const ports = specs.flatMap((s) => [s.env.SHADOW_HEALTH_PORT, s.env.SHADOW_METRICS_PORT]);
    expect(new Set(ports).size).toBe(2 * choreographyServices.length);
    expect(ports.every((p) => Number(p) > 0)).toBe(true);
  });
});

describe("shadow serve's configuration", () => {
  it("defaults to the group env `local` and the documented ports", () => {
    expect(loadServeConfig({})).toEqual({
      SHADOW_ENV: "local",
      SHADOW_GATEWAY_PORT: 8480,
      SHADOW_HEALTH_PORT_BASE: 8490,
      SHADOW_METRICS_PORT_BASE: 9470,
      SHADOW_STOP_GRACE_MS: 10_000,
      SHADOW_RESTART_MAX_DELAY_MS: 30_000,
    });
  });

  it("names a bad variable", () => {
    expect(() => loadServeConfig({ SHADOW_ENV: "Not Valid" })).toThrow(/SHADOW_ENV/);
    expect(() => loadServeConfig({ SHADOW_GATEWAY_PORT: "0" })).toThrow(/SHADOW_GATEWAY_PORT/);
  });
});
