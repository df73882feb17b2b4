import type { IHeaders } from "kafkajs";

/** Kafka headers as text: what the CloudEvents SDK and the W3C propagator expect. */
export type TextHeaders = Record<string, string>;

/**
 * kafkajs hands header values over as Buffers (arrays when a key repeats). The CloudEvents
 * SDK compares them as strings, so convert before decoding. For a repeated key the first value
 * wins: that is the one the producer wrote (Kafka keeps header order).
 */
export function headersToText(headers: IHeaders | undefined): TextHeaders {
  const out: TextHeaders = {};
  if (!headers) return out;
  for (const [key, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    out[key] = typeof first === "string" ? first : first.toString("utf8");
  }
  return out;
}

/** Drops undefined values and stringifies the rest, as kafkajs wants header values. */
export function textHeaders(headers: Record<string, unknown>): TextHeaders {
  const out: TextHeaders = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out[key] = typeof value === "string" ? value : String(value);
  }
  return out;
}
