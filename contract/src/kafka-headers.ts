/**
 * Kafka header values are bytes; every header of the protocol (an output id, a trace context,
 * a CloudEvents attribute) is UTF-8 text. kafkajs hands a value over as a Buffer, a string, or
 * an array when the key repeats.
 */
export type RawHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** The text of one header value. For a repeated key the first value wins: the producer's own. */
export function headerText(value: RawHeaderValue): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === "string" ? first : first.toString("utf8");
}

/** Kafka headers as text: what the CloudEvents SDK and the W3C propagator expect. */
export type TextHeaders = Record<string, string>;

/** Every header of a record as text (see headerText); absent values are left out. */
export function headersToText(headers: Record<string, RawHeaderValue> | undefined): TextHeaders {
  const out: TextHeaders = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const text = headerText(value);
    if (text !== undefined) out[key] = text;
  }
  return out;
}
