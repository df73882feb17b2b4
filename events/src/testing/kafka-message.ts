import type { IHeaders, KafkaMessage, Message } from "kafkajs";

/**
 * A produced record as a consumer gets it back from kafkajs: key, value and every header value
 * as Buffers, plus offset and timestamp. For unit tests of code that reads kafkajs messages.
 */
export function asConsumed(record: Message, offset = "0"): KafkaMessage {
  const headers: IHeaders = {};
  for (const [key, value] of Object.entries(record.headers ?? {})) {
    if (value === undefined) continue;
    headers[key] = Array.isArray(value)
      ? value.map((v) => Buffer.from(v))
      : Buffer.from(value as string | Buffer);
  }
  return {
    key: record.key == null ? null : Buffer.from(record.key),
    value: record.value == null ? null : Buffer.from(record.value),
    headers,
    offset,
    timestamp: record.timestamp ?? String(Date.now()),
    attributes: 0,
  };
}
