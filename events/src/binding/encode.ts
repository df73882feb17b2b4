import { CloudEvent, Kafka } from "cloudevents";
import type { ShadowEvent } from "../event.ts";
import { partitionKeyOf } from "../routing.ts";
import { type TextHeaders, textHeaders } from "./headers.ts";

/** A record ready for kafkajs `producer.send`. */
export interface KafkaRecord {
  key: string;
  value: Buffer;
  headers: TextHeaders;
  timestamp?: string;
}

function toCloudEvent(event: ShadowEvent): CloudEvent<unknown> {
  // strict: the SDK validates the context attributes against the CloudEvents 1.0 schema.
  return new CloudEvent<unknown>({ ...event });
}

/**
 * Binary content mode (CloudEvents Kafka binding §3.2): attributes as `ce_` headers, data as
 * the record value, `content-type` for datacontenttype, key = the workload (`partitionKeyOf`), so
 * every migration of one workload stays in order in one partition.
 *
 * The trace context rides twice: as the distributed tracing extension (`ce_traceparent`, which
 * names the span that emitted the event) and as plain `traceparent`/`tracestate` headers that
 * Kafka-level tooling understands.
 */
export function toBinaryRecord(event: ShadowEvent): KafkaRecord {
  const message = Kafka.binary(toCloudEvent(event));
  const headers: Record<string, unknown> = { ...message.headers };
  // The SDK also writes ce_datacontenttype; in binary mode the spec maps it to content-type only.
  delete headers.ce_datacontenttype;
  const trace: Record<string, unknown> = {};
  if (event.traceparent) trace.traceparent = event.traceparent;
  if (event.tracestate) trace.tracestate = event.tracestate;
  const record: KafkaRecord = {
    key: partitionKeyOf(event),
    value: Buffer.from(JSON.stringify(event.data)),
    headers: textHeaders({ ...headers, ...trace }),
  };
  if (message.timestamp) record.timestamp = message.timestamp;
  return record;
}

/**
 * Structured content mode (§3.3): the whole event as one JSON document, `content-type:
 * application/cloudevents+json`. The bus sends binary; this exists for tools and tests that
 * speak structured, which the decoder accepts too.
 */
export function toStructuredRecord(event: ShadowEvent): KafkaRecord {
  const message = Kafka.structured(toCloudEvent(event));
  const trace: Record<string, unknown> = {};
  if (event.traceparent) trace.traceparent = event.traceparent;
  if (event.tracestate) trace.tracestate = event.tracestate;
  const record: KafkaRecord = {
    key: partitionKeyOf(event),
    value: Buffer.from(String(message.value)),
    headers: textHeaders({ ...message.headers, ...trace }),
  };
  if (message.timestamp) record.timestamp = message.timestamp;
  return record;
}
