import { describe, expect, it } from "vitest";
import { healthBody } from "./health.ts";
import { statusBody, workloadStatus } from "./status.ts";

const minimal = {
  identity: {
    workload: "bank",
    instance: "bank-0",
    node: "node-a",
    role: "primary",
    incarnation: 0,
  },
  mode: "primary",
  processed: [{ topic: "in", partition: 0, offset: 41 }],
  inputReady: true,
  controlReady: true,
};

describe("the status body", () => {
  it("is what every workload serves; more fields are allowed", () => {
    expect(statusBody.safeParse({ ...minimal, language: "go", uptime: 12 }).success).toBe(true);
  });

  it("needs each field the platform reads", () => {
    for (const field of Object.keys(minimal)) {
      const { [field]: _, ...without } = minimal as Record<string, unknown>;
      expect(statusBody.safeParse(without).success, field).toBe(false);
    }
    expect(statusBody.safeParse({ ...minimal, mode: "leader" }).success).toBe(false);
    expect(
      statusBody.safeParse({ ...minimal, processed: [{ topic: "in", partition: 0, offset: -2 }] })
        .success,
    ).toBe(false);
  });

  it("carries no identity while the file cannot be read", () => {
    expect(statusBody.safeParse({ ...minimal, identity: null, mode: "idle" }).success).toBe(true);
  });

  it("of the SDK adds its fence, handover and counters, which are then required", () => {
    expect(workloadStatus.safeParse(minimal).success).toBe(false);
  });
});

describe("the health body", () => {
  it("says ok, the mode and the instance", () => {
    expect(healthBody.parse({ ok: true, mode: "fenced", instance: "bank-0" }).mode).toBe("fenced");
    expect(healthBody.safeParse({ ok: false, mode: "fenced", instance: "bank-0" }).success).toBe(
      false,
    );
  });
});
