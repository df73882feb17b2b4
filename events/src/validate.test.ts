import { describe, expect, it } from "vitest";
import { catalog, type EventType } from "./catalog/index.ts";
import type { ShadowEvent } from "./event.ts";
import { sampleData } from "./testing/samples.ts";
import { validateEvent } from "./validate.ts";

function event(type: string, data: unknown): ShadowEvent {
  return {
    specversion: "1.0",
    id: "e-1",
    source: "/shadow/test",
    type,
    subject: "m-1",
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data,
  };
}

describe("validateEvent", () => {
  it("accepts the sample of every catalog type", () => {
    const samples = sampleData();
    for (const type of Object.keys(catalog) as EventType[]) {
      const result = validateEvent(event(type, samples[type]));
      expect(result.ok, type).toBe(true);
    }
  });

  it("refuses a type outside the catalog", () => {
    const result = validateEvent(event("io.shadow.migration.teleported.v1", {}));
    expect(result).toMatchObject({ ok: false, code: "unknown-type" });
  });

  it("refuses data that breaks the schema, saying where", () => {
    const data = { ...sampleData()["io.shadow.migration.requested.v1"], targetNode: "Node_B!" };
    const result = validateEvent(event("io.shadow.migration.requested.v1", data));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe("schema-invalid");
      expect(result.reason).toContain("targetNode");
    }
  });

  it("hands the handler parsed data: unknown keys stripped", () => {
    const data = { ...sampleData()["io.shadow.migration.source.drained.v1"], extra: "x" };
    const result = validateEvent(event("io.shadow.migration.source.drained.v1", data));
    expect(result.ok && result.event.data).not.toHaveProperty("extra");
  });
});
