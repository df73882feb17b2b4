import { describe, expect, it } from "vitest";
import { MigrationRequested, NodePressureDetected } from "./catalog/index.ts";
import { TerminalError } from "./errors.ts";
import { buildEvent, buildOutgoing, outgoing, serviceSource, traceIdOf } from "./event.ts";
import { sampleData } from "./testing/samples.ts";

const samples = sampleData("m-7");

describe("buildEvent", () => {
  it("stamps id, source, time and the migration id as subject", () => {
    const event = buildEvent(MigrationRequested, samples["io.shadow.migration.requested.v1"], {
      source: serviceSource("gateway"),
    });
    expect(event).toMatchObject({
      specversion: "1.0",
      source: "/shadow/gateway",
      type: MigrationRequested.type,
      subject: "m-7",
      datacontenttype: "application/json",
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(event.time)).not.toBeNaN();
  });

  it("uses the node as subject for node events", () => {
    const data = samples["io.shadow.node.pressure.detected.v1"];
    expect(buildEvent(NodePressureDetected, data, { source: "/p" }).subject).toBe("node-a");
  });

  it("throws a TerminalError carrying the migration id on invalid data", () => {
    const data = { ...samples["io.shadow.migration.requested.v1"], requestedBy: "telepathy" };
    try {
      buildEvent(MigrationRequested, data as never, { source: "/g" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TerminalError);
      expect(error).toMatchObject({ code: "schema-invalid", migrationId: "m-7", retryable: false });
    }
  });
});

describe("buildOutgoing", () => {
  it("builds what outgoing() described", () => {
    const out = outgoing(MigrationRequested, samples["io.shadow.migration.requested.v1"]);
    expect(buildOutgoing(out, { source: "/g", id: "fixed" })).toMatchObject({
      id: "fixed",
      subject: "m-7",
    });
  });

  it("refuses a type outside the catalog as terminal", () => {
    expect(() => buildOutgoing({ type: "io.shadow.nope.v1", data: {} }, { source: "/g" })).toThrow(
      TerminalError,
    );
  });
});

describe("traceIdOf", () => {
  it("reads the trace id from a traceparent", () => {
    expect(
      traceIdOf({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
    ).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(traceIdOf({})).toBeUndefined();
  });
});
