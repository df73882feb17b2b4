import {
  buildEvent,
  catalog,
  decodeRecord,
  FenceAborted,
  FenceCompleted,
  FenceCut,
  FencePassed,
  FenceRequested,
  resilientConsumer,
  toBinaryRecord,
  validateEvent,
} from "@shadow/events";
import type { Admin, Consumer, Kafka, KafkaMessage, Producer } from "kafkajs";
import type { Logger } from "pino";
import type { ControlChannel, ControlEvent, ControlHandler } from "./channel.ts";
import { ReadPositions } from "./read-positions.ts";

const fenceTypes: ReadonlySet<string> = new Set([
  FenceRequested.type,
  FenceCut.type,
  FencePassed.type,
  FenceAborted.type,
  FenceCompleted.type,
]);

export interface KafkaControlChannelOptions {
  kafka: Kafka;
  producer: Producer;
  topic: string;
  groupId: string;
  /**
   * Where the read starts. A primary reads from now. A shadow reads from a moment before it
   * became one (`since`, ms since epoch): its cut may be published before its clients are up,
   * but never before it was restored. Not from the log's start: that is every past
   * migration's fence events, thousands after a benchmark, which a just-restored copy would
   * decode for a second while it should be catching up.
   */
  readFrom: "now" | { since: number };
  /** The session's admin client, which finds the offsets at `since`. */
  admin(): Promise<Admin>;
  /** CloudEvent source, e.g. `/shadow/workload/<workload>/<instance>`. */
  source: string;
  /** Runs before every publish; throws when this client may not act any more. */
  beforePublish(): void;
  log: Logger;
  consumerConfig?: {
    sessionTimeout?: number;
    heartbeatInterval?: number;
    maxWaitTimeInMs?: number;
  };
}

export interface KafkaControlChannel extends ControlChannel {
  readonly consumer: Consumer;
}

/**
 * Fence events as CloudEvents on Kafka through the events package's binding (binary content
 * mode, key = migration id). One migration's events stay ordered in one partition, so every
 * side sees FencePassed and FenceAborted in the same order: that order decides a race
 * between them.
 */
export function createKafkaControlChannel(
  options: KafkaControlChannelOptions,
): KafkaControlChannel {
  const { kafka, producer, topic, log } = options;
  const consumer = kafka.consumer({
    metadataMaxAge: resilientConsumer.metadataMaxAge,
    groupId: options.groupId,
    sessionTimeout: options.consumerConfig?.sessionTimeout ?? 10_000,
    heartbeatInterval: options.consumerConfig?.heartbeatInterval ?? 1_000,
    maxWaitTimeInMs: options.consumerConfig?.maxWaitTimeInMs ?? 100,
  });
  let ready = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    ready = true;
  });
  const positions = new ReadPositions();

  return {
    consumer,
    get ready() {
      return ready;
    },

    async publish(event) {
      const built = buildEvent(catalog[event.type], event.data, { source: options.source });
      if (event.traceparent) built.traceparent = event.traceparent;
      if (event.tracestate) built.tracestate = event.tracestate;
      const record = toBinaryRecord(built);
      options.beforePublish();
      await producer.send({ topic, acks: -1, messages: [record] });
    },

    async subscribe(handler: ControlHandler) {
      await consumer.connect();
      const { readFrom } = options;
      const admin = await options.admin();
      // From now (the log's end as this reader starts), or from `since` for a shadow.
      positions.startAt(
        readFrom === "now"
          ? await admin.fetchTopicOffsets(topic)
          : await admin.fetchTopicOffsetsByTimestamp(topic, readFrom.since),
      );
      // Every join, the first and any after a rebalance or a coordinator's failover, resumes
      // where this reader is (see ReadPositions): never at the log's end past unread events.
      consumer.on(consumer.events.GROUP_JOIN, () => {
        for (const { partition, offset } of positions.resumeAt()) {
          consumer.seek({ topic, partition, offset });
        }
      });
      await consumer.subscribe({ topics: [topic], fromBeginning: readFrom !== "now" });
      await consumer.run({
        // Offsets commit after the handler: a replay after a restart re-runs fence steps,
        // which are idempotent by fence id.
        autoCommit: true,
        eachMessage: async ({ message, partition }) => {
          const decoded = decodeControl(message);
          if (decoded.ok) await handler(decoded.event);
          else if (decoded.reason) {
            log.warn(
              { topic, partition, offset: message.offset, reason: decoded.reason },
              "control record skipped",
            );
          }
          positions.handled(partition, message.offset);
        },
      });
    },
  };
}

export type DecodedControl = { ok: true; event: ControlEvent } | { ok: false; reason?: string };

/** Reads a fence event; other event types on the topic are skipped without a word. */
export function decodeControl(
  message: Pick<KafkaMessage, "key" | "headers" | "value">,
): DecodedControl {
  const decoded = decodeRecord(message);
  if (!decoded.ok) return { ok: false, reason: decoded.reason };
  if (!fenceTypes.has(decoded.event.type)) return { ok: false };
  const validated = validateEvent(decoded.event);
  if (!validated.ok) return { ok: false, reason: validated.reason };
  const { type, data, traceparent, tracestate, id, source } = validated.event;
  const event = { type, data, id, source } as ControlEvent;
  if (traceparent) event.traceparent = traceparent;
  if (tracestate) event.tracestate = tracestate;
  return { ok: true, event };
}
