import { type CloudEventV1, Kafka } from "cloudevents";
import type { IHeaders } from "kafkajs";
import type { ShadowEvent } from "../event.ts";
import { headersToText, type TextHeaders } from "./headers.ts";

/** Why a record is not an event this bus can read; becomes `shadow-dlq-code`. */
export type DecodeFailureCode =
  | "empty"
  | "invalid-json"
  | "not-cloudevent"
  | "invalid-cloudevent"
  | "unsupported-content-type";

export type DecodeResult =
  | { ok: true; mode: "binary" | "structured"; event: ShadowEvent }
  | { ok: false; code: DecodeFailureCode; reason: string };

/** The parts of a kafkajs message the decoder reads. */
export interface RawRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: IHeaders;
}

const REQUIRED = ["id", "source", "type", "specversion", "time"] as const;
const KNOWN = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "subject",
  "time",
  "datacontenttype",
  "data",
  "traceparent",
  "tracestate",
]);

function fail(code: DecodeFailureCode, reason: string): DecodeResult {
  return { ok: false, code, reason };
}

function lowerKeys(headers: TextHeaders): TextHeaders {
  const out: TextHeaders = {};
  for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value;
  return out;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
  }
}

function missingAttributes(attributes: Record<string, unknown>): string[] {
  return REQUIRED.filter((name) => typeof attributes[name] !== "string" || attributes[name] === "");
}

/**
 * Decodes a Kafka record into a CloudEvent, binary or structured content mode, through the
 * CloudEvents SDK, then checks it against the CloudEvents 1.0 schema. Never throws: every
 * failure comes back with a code and a reason, for the dead-letter topic.
 *
 * Stricter than the spec in two places, both on purpose: `time` is required (every shadow
 * event has one, and without it the SDK would invent "now"), and data must be JSON. A record
 * without any CloudEvent header whose value is a JSON CloudEvent is read as structured mode
 * (tools like kcat often drop the content-type header).
 */
export function decodeRecord(record: RawRecord): DecodeResult {
  const headers = lowerKeys(headersToText(record.headers));
  const value = record.value;
  if (value === null || value.length === 0) return fail("empty", "record has no value");
  const text = typeof value === "string" ? value : value.toString("utf8");
  const key = record.key == null ? "" : record.key.toString();
  const contentType = headers["content-type"] ?? "";

  if (contentType.startsWith("application/cloudevents-batch")) {
    return fail("unsupported-content-type", "batched CloudEvents are not read by this bus");
  }
  if (contentType.startsWith("application/cloudevents")) {
    if (!contentType.startsWith("application/cloudevents+json")) {
      return fail("unsupported-content-type", `structured mode must be JSON, got ${contentType}`);
    }
    return decodeStructured(text, headers, key);
  }
  if (Object.keys(headers).some((name) => name.startsWith("ce_"))) {
    return decodeBinary(text, headers, key);
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return fail("invalid-json", parsed.reason);
  const looksStructured =
    typeof parsed.value === "object" &&
    parsed.value !== null &&
    "specversion" in parsed.value &&
    "type" in parsed.value;
  if (!looksStructured) {
    return fail("not-cloudevent", "no ce_ headers, no CloudEvents content-type, no specversion");
  }
  return decodeStructured(
    text,
    { ...headers, "content-type": "application/cloudevents+json" },
    key,
  );
}

function decodeStructured(text: string, headers: TextHeaders, key: string): DecodeResult {
  const parsed = parseJson(text);
  if (!parsed.ok) return fail("invalid-json", parsed.reason);
  if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
    return fail("not-cloudevent", "structured event is not a JSON object");
  }
  const missing = missingAttributes(parsed.value as Record<string, unknown>);
  if (missing.length > 0) {
    return fail("not-cloudevent", `missing CloudEvent attributes: ${missing.join(", ")}`);
  }
  return viaSdk(text, headers, key, "structured");
}

function decodeBinary(text: string, headers: TextHeaders, key: string): DecodeResult {
  const attributes: Record<string, unknown> = {};
  for (const name of REQUIRED) attributes[name] = headers[`ce_${name}`];
  const missing = missingAttributes(attributes);
  if (missing.length > 0) {
    return fail(
      "not-cloudevent",
      `missing CloudEvent headers: ${missing.map((n) => `ce_${n}`).join(", ")}`,
    );
  }
  const contentType = headers["content-type"] ?? "";
  if (!contentType.startsWith("application/json")) {
    return fail("unsupported-content-type", `data must be application/json, got "${contentType}"`);
  }
  return viaSdk(text, headers, key, "binary");
}

function viaSdk(
  text: string,
  headers: TextHeaders,
  key: string,
  mode: "binary" | "structured",
): DecodeResult {
  let decoded: CloudEventV1<unknown> | CloudEventV1<unknown>[];
  try {
    decoded = Kafka.toEvent({ headers, body: text, value: text, key } as Parameters<
      typeof Kafka.toEvent
    >[0]);
  } catch (error) {
    const err = error as Error;
    if (err instanceof SyntaxError) return fail("invalid-json", `data is not JSON: ${err.message}`);
    return fail("invalid-cloudevent", `${err.name}: ${err.message}`);
  }
  if (Array.isArray(decoded))
    return fail("unsupported-content-type", "batch where one event was expected");
  if (decoded.specversion !== "1.0") {
    return fail(
      "invalid-cloudevent",
      `specversion must be 1.0, got ${String(decoded.specversion)}`,
    );
  }
  try {
    (decoded as unknown as { validate(): boolean }).validate();
  } catch (error) {
    const details = (error as { errors?: unknown }).errors;
    const text = details === undefined ? "" : ` ${JSON.stringify(details)}`;
    return fail("invalid-cloudevent", `${(error as Error).message}${text}`);
  }
  return { ok: true, mode, event: toShadowEvent(decoded) };
}

/** A plain object with the attributes this bus knows; other extensions are kept as they are. */
function toShadowEvent(decoded: CloudEventV1<unknown>): ShadowEvent {
  const source = decoded as unknown as Record<string, unknown>;
  const event: Record<string, unknown> = {
    specversion: "1.0",
    id: decoded.id,
    source: decoded.source,
    type: decoded.type,
    subject: decoded.subject ?? "",
    time: decoded.time,
    datacontenttype: decoded.datacontenttype ?? "application/json",
    data: decoded.data,
  };
  if (typeof source.traceparent === "string") event.traceparent = source.traceparent;
  if (typeof source.tracestate === "string") event.tracestate = source.tracestate;
  for (const [name, value] of Object.entries(source)) {
    // partitionkey is the SDK's view of the Kafka key, not an attribute the producer sent.
    if (KNOWN.has(name) || name === "partitionkey" || name === "data_base64") continue;
    if (value !== undefined) event[name] = value;
  }
  return event as unknown as ShadowEvent;
}
