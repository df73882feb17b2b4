import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { traceExtensions } from "@shadow/otel/context";
import {
  type Admin,
  type Kafka,
  type Message,
  Partitioners,
  type Producer,
  type ProducerConfig,
} from "kafkajs";
import type { z } from "zod";
import { toBinaryRecord } from "../binding/encode.ts";
import type { EventDefinition, EventType } from "../catalog/index.ts";
import { buildEvent, buildOutgoing, type OutgoingEvent, type ShadowEvent } from "../event.ts";
import { partitionKeyOf, topicFor } from "../routing.ts";
import { PartitionedProducer } from "./send-by-partition.ts";
import { sendQueue } from "./send-queue.ts";
import { migrationSpanAttributes } from "./span-attributes.ts";

const tracer = trace.getTracer("@shadow/events");

export interface PublisherConfig {
  kafka: Kafka;
  /** CloudEvent `source` of everything this publisher emits: `serviceSource("gateway")`. */
  source: string;
  /** Extra kafkajs producer settings; idempotence and its requirements are always on. */
  producer?: Omit<ProducerConfig, "idempotent" | "maxInFlightRequests">;
}

export interface EmitOptions {
  topic?: string;
  subject?: string;
  id?: string;
}

export interface Publisher {
  readonly source: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * Builds an event of the catalog (validated), stamps the trace context and sends it on its
   * topic (`topicFor(type)` unless told). Resolves once all in-sync replicas have it.
   *
   * @example
   * await publisher.emit(MigrationRequested, { migrationId, ... });
   */
  emit<T extends EventType, S extends z.ZodType>(
    definition: EventDefinition<T, S>,
    data: z.input<S>,
    options?: EmitOptions,
  ): Promise<ShadowEvent<T, z.output<S>>>;
  /** Builds and sends an event a handler-like function described (a fresh id). */
  publish(event: OutgoingEvent, options?: { id?: string }): Promise<ShadowEvent>;
  /** Sends built events, each in its own producer span, in one produce batch. */
  send(items: readonly { topic: string; event: ShadowEvent }[]): Promise<ShadowEvent[]>;
  /** Sends records as they are (dead letters keep their original bytes). */
  sendRecords(topic: string, messages: Message[]): Promise<void>;
}

/**
 * An idempotent producer: acks from all in-sync replicas (-1) and one request in flight, so a
 * retried send neither duplicates nor reorders within a partition. Sends made while a request
 * is out go together in the next one (see send-queue.ts).
 */
export function createPublisher(config: PublisherConfig): Publisher {
  const producer: Producer = config.kafka.producer({
    // Murmur2 on the key, as the Java client does: a workload's events land on the partition
    // any Kafka tool would pick for its key.
    createPartitioner: Partitioners.DefaultPartitioner,
    ...config.producer,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  // Broker and partition counts for the partitioned sends, from an admin opened on first use.
  let admin: Promise<Admin> | undefined;
  const openAdmin = () =>
    (admin ??= (async () => {
      const client = config.kafka.admin();
      await client.connect();
      return client;
    })().catch((error: unknown) => {
      admin = undefined;
      throw error;
    }));
  const partitioned = new PartitionedProducer(producer, openAdmin);
  // Sends made while a request is out wait and go together in the next one; that one goes as
  // the partitioned producer sends (a send per partition on a cluster, one batch on one broker).
  const transmit = sendQueue((topicMessages) => partitioned.send(topicMessages));
  let connecting: Promise<void> | undefined;
  const connect = () => {
    connecting ??= producer.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };

  const send: Publisher["send"] = async (items) => {
    if (items.length === 0) return [];
    await connect();
    const parent = context.active();
    const spans = items.map(({ topic, event }) =>
      tracer.startSpan(
        `emit ${event.type}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.kafka.message.key": partitionKeyOf(event),
            "cloudevents.event_id": event.id,
            "cloudevents.event_type": event.type,
            "cloudevents.event_source": event.source,
            "cloudevents.event_subject": event.subject,
            ...migrationSpanAttributes(event.data),
          },
        },
        parent,
      ),
    );
    const stamped = items.map(({ event }, i) => {
      const span = spans[i];
      const ctx = span ? trace.setSpan(parent, span) : parent;
      const { traceparent, tracestate } = traceExtensions(ctx);
      const out: ShadowEvent = { ...event };
      delete out.traceparent;
      delete out.tracestate;
      if (traceparent) out.traceparent = traceparent;
      if (tracestate) out.tracestate = tracestate;
      return out;
    });
    const byTopic = new Map<string, Message[]>();
    items.forEach(({ topic }, i) => {
      const event = stamped[i];
      if (!event) return;
      const list = byTopic.get(topic) ?? [];
      list.push(toBinaryRecord(event));
      byTopic.set(topic, list);
    });
    // Transport spans (the kafkajs instrumentation's `send <topic>`) hang under the emit span
    // when there is one event, under the emitter's own span otherwise: same trace either way.
    const only = spans.length === 1 ? spans[0] : undefined;
    const sendContext = only ? trace.setSpan(parent, only) : parent;
    try {
      await transmit(
        [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        sendContext,
      );
    } catch (error) {
      for (const span of spans) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      }
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
    return stamped;
  };

  return {
    source: config.source,
    connect,
    async disconnect() {
      if (!connecting) return;
      connecting = undefined;
      const opened = admin;
      admin = undefined;
      await opened?.then((client) => client.disconnect()).catch(() => undefined);
      await producer.disconnect();
    },
    async emit(definition, data, options = {}) {
      const event = buildEvent(definition, data, {
        source: config.source,
        ...(options.id === undefined ? {} : { id: options.id }),
        ...(options.subject === undefined ? {} : { subject: options.subject }),
      });
      const [sent] = await send([{ topic: options.topic ?? topicFor(definition.type), event }]);
      return sent as typeof event;
    },
    async publish(outgoing, options = {}) {
      const event = buildOutgoing(outgoing, {
        source: config.source,
        ...(options.id === undefined ? {} : { id: options.id }),
      });
      const [sent] = await send([{ topic: outgoing.topic ?? topicFor(event.type), event }]);
      return sent as ShadowEvent;
    },
    send,
    async sendRecords(topic, messages) {
      if (messages.length === 0) return;
      await connect();
      await partitioned.send([{ topic, messages }]);
    },
  };
}
