import { describe, expect, it } from "vitest";
import { catalog, type EventType } from "./catalog/index.ts";
import { type ShadowEvent, subjectOf } from "./event.ts";
import { sampleData } from "./testing/samples.ts";
import { validateEvent } from "./validate.ts";

function event(type: string, data: unknown): ShadowEvent {
  return {
    specversion: "1.0",
    id: "e-1",
    source: "/shadow/test",
    type,
    // As the bus builds it: the migration id (or node) in the data.
    subject: subjectOf(data) ?? "m-1",
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

  it("refuses an event whose subject is not the migration id in its data", () => {
    const data = sampleData("m-7")["io.shadow.migration.requested.v1"];
    const result = validateEvent({
      ...event("io.shadow.migration.requested.v1", data),
      subject: "m-8",
    });
    expect(result).toMatchObject({ ok: false, code: "subject-mismatch" });
    expect(!result.ok && result.reason).toContain('"m-8"');
    expect(!result.ok && result.reason).toContain('"m-7"');
  });

  it("refuses an id, source or subject beyond its bound, naming the attribute", () => {
    const data = sampleData()["io.shadow.migration.completed.v1"];
    for (const [attribute, value] of [
      ["id", "x".repeat(10_000)],
      ["source", `/shadow/${"s".repeat(300)}`],
      ["tracestate", `k=${"v".repeat(600)}`],
    ] as const) {
      const result = validateEvent({
        ...event("io.shadow.migration.completed.v1", data),
        [attribute]: value,
      });
      expect(result, attribute).toMatchObject({ ok: false, code: "envelope-invalid" });
      expect(!result.ok && result.reason, attribute).toContain(attribute);
    }
  });

  it("bounds the free-form fields of the data too", () => {
    const data = { ...sampleData()["io.shadow.migration.failed.v1"], code: "c".repeat(300) };
    const result = validateEvent(event("io.shadow.migration.failed.v1", data));
    expect(result).toMatchObject({ ok: false, code: "schema-invalid" });
  });
});
