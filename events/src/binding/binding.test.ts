import { describe, expect, it } from "vitest";
import { FenceCut, MigrationRequested, NodePressureDetected } from "../catalog/index.ts";
import { buildEvent, type ShadowEvent } from "../event.ts";
import { asConsumed } from "../testing/kafka-message.ts";
import { sampleData } from "../testing/samples.ts";
import { decodeRecord } from "./decode.ts";
import { toBinaryRecord, toStructuredRecord } from "./encode.ts";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

function sample(): ShadowEvent {
  const event = buildEvent(
    MigrationRequested,
    sampleData("m-42")["io.shadow.migration.requested.v1"],
    {
      source: "/shadow/gateway",
      id: "6a0c3c2e-1b7f-4e43-9d7e-0c5d1f9e2a11",
      time: "2026-01-02T03:04:05.678Z",
    },
  );
  return { ...event, traceparent: TRACEPARENT, tracestate: "shadow=1" };
}

describe("binary content mode", () => {
  it("keys an event without a workload (a node's pressure reading) by its subject", () => {
    const event = buildEvent(NodePressureDetected, sampleData()[NodePressureDetected.type], {
      source: "/shadow/pressure-svc",
    });
    expect(toBinaryRecord(event).key).toBe("node-a");
  });

  it("puts attributes in ce_ headers, data in the value, the workload in the key", () => {
    const record = toBinaryRecord(sample());
    // Every migration of one workload in one partition: the log orders them (issue: one
    // migration per workload, decided by the log).
    expect(record.key).toBe("orders");
    expect(record.headers).toMatchObject({
      ce_specversion: "1.0",
      ce_id: "6a0c3c2e-1b7f-4e43-9d7e-0c5d1f9e2a11",
      ce_source: "/shadow/gateway",
      ce_type: "io.shadow.migration.requested.v1",
      ce_subject: "m-42",
      ce_time: "2026-01-02T03:04:05.678Z",
      "content-type": "application/json",
    });
    expect(record.headers).not.toHaveProperty("ce_datacontenttype");
    expect(JSON.parse(record.value.toString())).toEqual(sample().data);
    expect(record.timestamp).toBe(String(Date.parse("2026-01-02T03:04:05.678Z")));
  });

  it("carries the trace context as extension and as plain Kafka headers", () => {
    const { headers } = toBinaryRecord(sample());
    expect(headers.ce_traceparent).toBe(TRACEPARENT);
    expect(headers.ce_tracestate).toBe("shadow=1");
    expect(headers.traceparent).toBe(TRACEPARENT);
    expect(headers.tracestate).toBe("shadow=1");
  });

  it("round-trips through kafkajs-shaped Buffers", () => {
    const decoded = decodeRecord(asConsumed(toBinaryRecord(sample())));
    expect(decoded).toEqual({ ok: true, mode: "binary", event: sample() });
  });

  it("refuses an event the SDK finds invalid before sending it", () => {
    expect(() => toBinaryRecord({ ...sample(), source: "" })).toThrow();
  });
});

describe("structured content mode", () => {
  it("round-trips one JSON document", () => {
    const record = toStructuredRecord(sample());
    expect(record.headers["content-type"]).toMatch(/^application\/cloudevents\+json/);
    expect(JSON.parse(record.value.toString())).toMatchObject({
      id: sample().id,
      data: sample().data,
    });
    expect(decodeRecord(asConsumed(record))).toEqual({
      ok: true,
      mode: "structured",
      event: sample(),
    });
  });

  it("reads a JSON CloudEvent that arrives without any header", () => {
    const value = toStructuredRecord(sample()).value;
    const decoded = decodeRecord({ key: null, value, headers: {} });
    expect(decoded.ok && decoded.event.id).toBe(sample().id);
  });

  it("keeps unknown extensions", () => {
    const doc = { ...JSON.parse(toStructuredRecord(sample()).value.toString()), region: "eu" };
    const decoded = decodeRecord({
      key: "m-42",
      value: JSON.stringify(doc),
      headers: { "content-type": "application/cloudevents+json" },
    });
    expect(decoded.ok && (decoded.event as unknown as Record<string, unknown>).region).toBe("eu");
  });
});

describe("what is not an event", () => {
  const binary = () => toBinaryRecord(sample());
  const cases: [string, Parameters<typeof decodeRecord>[0], string][] = [
    ["garbage bytes", { key: null, value: Buffer.from([0xff, 0x00, 0x13, 0x37]) }, "invalid-json"],
    ["an empty value", { key: null, value: Buffer.alloc(0) }, "empty"],
    ["a tombstone", { key: "m-42", value: null }, "empty"],
    [
      "JSON without CloudEvent attributes",
      { key: null, value: '{"hello":"world"}' },
      "not-cloudevent",
    ],
    ["a JSON array", { key: null, value: "[1,2,3]" }, "not-cloudevent"],
    [
      "structured mode without an id",
      {
        key: null,
        value: JSON.stringify({
          specversion: "1.0",
          type: "x",
          source: "/s",
          time: new Date().toISOString(),
        }),
        headers: { "content-type": "application/cloudevents+json" },
      },
      "not-cloudevent",
    ],
    [
      "structured mode that is not JSON",
      { key: null, value: "<event/>", headers: { "content-type": "application/cloudevents+json" } },
      "invalid-json",
    ],
    [
      "structured XML",
      { key: null, value: "<event/>", headers: { "content-type": "application/cloudevents+xml" } },
      "unsupported-content-type",
    ],
    [
      "a batch",
      { key: null, value: "[]", headers: { "content-type": "application/cloudevents-batch+json" } },
      "unsupported-content-type",
    ],
    [
      "binary mode without ce_source",
      { ...binary(), headers: { ...binary().headers, ce_source: undefined } as never },
      "not-cloudevent",
    ],
    [
      "binary mode with data that is not JSON",
      { ...binary(), value: Buffer.from("{nope") },
      "invalid-json",
    ],
    [
      "binary mode with a non-JSON content type",
      { ...binary(), headers: { ...binary().headers, "content-type": "text/plain" } },
      "unsupported-content-type",
    ],
    [
      "specversion 0.3",
      { ...binary(), headers: { ...binary().headers, ce_specversion: "0.3" } },
      "invalid-cloudevent",
    ],
    [
      "a source that is not a URI reference",
      { ...binary(), headers: { ...binary().headers, ce_source: "not a uri" } },
      "invalid-cloudevent",
    ],
    [
      "a time that is not a time",
      { ...binary(), headers: { ...binary().headers, ce_time: "yesterday" } },
      "invalid-cloudevent",
    ],
  ];

  it.each(cases)("%s", (_name, record, code) => {
    const decoded = decodeRecord(asConsumed({ ...record, headers: record.headers ?? {} }));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.code).toBe(code);
      expect(decoded.reason.length).toBeGreaterThan(0);
    }
  });
});

describe("kafkajs header quirks", () => {
  it("takes the first value of a repeated header", () => {
    const record = toBinaryRecord(
      buildEvent(FenceCut, sampleData()["io.shadow.migration.fence.cut.v1"], { source: "/w" }),
    );
    const consumed = asConsumed(record);
    consumed.headers = {
      ...consumed.headers,
      ce_id: [Buffer.from("first"), Buffer.from("second")],
    };
    const decoded = decodeRecord(consumed);
    expect(decoded.ok && decoded.event.id).toBe("first");
  });
});
