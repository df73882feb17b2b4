import { type Context, context } from "@opentelemetry/api";
import type { Message, TopicMessages } from "kafkajs";

/** Most records in one produce request: far below the broker's request size for bus events. */
const MAX_BATCH = 500;

interface Waiting {
  topicMessages: TopicMessages[];
  count: number;
  /** The sender's context: the produce request runs in the first waiting sender's. */
  context: Context;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Sends for an idempotent producer with one request in flight, coalesced: sends that arrive
 * while a produce request is out wait and go together in the next one, in the order they came.
 * A thousand requests arriving at the gateway at once are then a handful of produce requests,
 * not a thousand in a row (each a round trip to every in-sync replica), and none waits on
 * kafkajs's connection lock until it times out. Within a partition the order of sends holds.
 *
 * The Kafka `traceparent` header of a record sent with others names the transport span of the
 * first sender's trace (the kafkajs instrumentation stamps one context per request); each
 * event's own CloudEvent `traceparent`, which consumers read first, names its own span.
 */
export function sendQueue(
  produce: (topicMessages: TopicMessages[]) => Promise<unknown>,
): (topicMessages: TopicMessages[], sendContext: Context) => Promise<void> {
  const waiting: Waiting[] = [];
  let flushing = false;

  const flush = async () => {
    flushing = true;
    while (waiting.length > 0) {
      const batch: Waiting[] = [];
      let count = 0;
      while (
        waiting.length > 0 &&
        (batch.length === 0 || count + (waiting[0]?.count ?? 0) <= MAX_BATCH)
      ) {
        const next = waiting.shift() as Waiting;
        batch.push(next);
        count += next.count;
      }
      const merged = new Map<string, Message[]>();
      for (const w of batch) {
        for (const { topic, messages } of w.topicMessages) {
          const list = merged.get(topic) ?? [];
          list.push(...messages);
          merged.set(topic, list);
        }
      }
      const first = batch[0] as Waiting;
      try {
        await context.with(first.context, () =>
          produce([...merged].map(([topic, messages]) => ({ topic, messages }))),
        );
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    flushing = false;
  };

  return (topicMessages, sendContext) =>
    new Promise<void>((resolve, reject) => {
      const count = topicMessages.reduce((n, t) => n + t.messages.length, 0);
      waiting.push({ topicMessages, count, context: sendContext, resolve, reject });
      if (!flushing) void flush();
    });
}
