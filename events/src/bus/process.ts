import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { parentContextOf } from "@shadow/otel/context";
import type { Logger } from "@shadow/otel/logger";
import type { KafkaMessage, Message } from "kafkajs";
import { decodeRecord } from "../binding/decode.ts";
import type { EventType } from "../catalog/index.ts";
import { migrationIdOf, toError } from "../errors.ts";
import { buildOutgoing, type ShadowEvent } from "../event.ts";
import { deriveEventId } from "../ids.ts";
import { topicFor } from "../routing.ts";
import { checkType, validateEvent } from "../validate.ts";
import { type DeadLetterCode, deadLetterRecord } from "./dead-letter.ts";
import { type DedupeStore, dedupeKey } from "./dedupe.ts";
import { recordHandlerDuration, recordHop } from "./metrics.ts";
import { decideRetry, type RetryPolicy } from "./retry.ts";
import { migrationSpanAttributes } from "./span-attributes.ts";
import type { Handler, Handlers, Outcome, RecordInfo, RunnerObserver } from "./types.ts";

const tracer = trace.getTracer("@shadow/events");

/** Everything one record's processing needs; the runner wires it to kafkajs, tests to fakes. */
export interface PipelineContext<D> {
  groupId: string;
  /** CloudEvent source of the events handlers emit. */
  source: string;
  handlers: Handlers<D>;
  deps: D;
  dedupe: DedupeStore;
  retry: RetryPolicy;
  deadLetterTopic: string;
  send(items: { topic: string; event: ShadowEvent }[]): Promise<ShadowEvent[]>;
  sendRecords(topic: string, messages: Message[]): Promise<void>;
  /** Waits between attempts; resolves early when the runner stops. */
  sleep(ms: number): Promise<void>;
  isStopping(): boolean;
  observer?: RunnerObserver;
  logger: Logger;
  random?: () => number;
}

/**
 * One record, start to end: decode → known type (else skip it if no handler here) → valid
 * data → dedupe by (source, id) →
 * handler in a span whose parent is the emitter's span → emit its events (ids derived from
 * the input's) → remember the key. Bad input and failed handlers end in the dead-letter
 * topic; only a broken Kafka makes it throw (then nothing was committed and the record comes
 * again). The offset commit is the caller's, after this returns.
 */
export async function processRecord<D>(
  record: RecordInfo & { message: KafkaMessage },
  ctx: PipelineContext<D>,
): Promise<Outcome> {
  const decoded = decodeRecord(record.message);
  if (!decoded.ok) {
    return deadLetter(ctx, record, { code: decoded.code, reason: decoded.reason, attempts: 0 });
  }
  const raw = decoded.event;
  const unknownType = checkType(raw);
  if (unknownType && !unknownType.ok) {
    return deadLetter(ctx, record, { ...unknownType, attempts: 0, event: raw });
  }
  const handler = ctx.handlers[raw.type as EventType] as Handler<EventType, D> | undefined;
  if (!handler) {
    // Topics are shared by the whole choreography: most events are for other services. No
    // span either, or every service would add one to every trace for events it skips.
    return { kind: "ignored", event: raw };
  }
  const parent = parentContextOf(raw, record.message.headers);
  const span = tracer.startSpan(
    `handle ${raw.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": record.topic,
        "messaging.destination.partition.id": String(record.partition),
        "messaging.kafka.offset": Number(record.offset),
        "messaging.consumer.group.name": ctx.groupId,
        "cloudevents.event_id": raw.id,
        "cloudevents.event_type": raw.type,
        "cloudevents.event_source": raw.source,
        "cloudevents.event_subject": raw.subject,
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () =>
      processHandled(raw, handler, record, span, ctx),
    );
  } catch (error) {
    span.recordException(toError(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: toError(error).message });
    throw error;
  } finally {
    span.end();
  }
}

async function processHandled<D>(
  raw: ShadowEvent,
  handler: Handler<EventType, D>,
  record: RecordInfo & { message: KafkaMessage },
  span: Span,
  ctx: PipelineContext<D>,
): Promise<Outcome> {
  const valid = validateEvent(raw);
  if (!valid.ok) {
    return deadLetter(ctx, record, { ...valid, attempts: 0, event: raw }, span);
  }
  const event = valid.event;
  const key = dedupeKey(event);
  if (await ctx.dedupe.has(key)) {
    span.setAttribute("shadow.outcome", "duplicate");
    return { kind: "duplicate", event };
  }
  span.setAttributes({
    "shadow.migration.id": event.subject,
    ...migrationSpanAttributes(event.data),
  });
  recordHop(event.type, event.time, ctx.groupId);

  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    let built: { topic: string; event: ShadowEvent }[];
    try {
      const outgoing = await handler(event, ctx.deps);
      built = outgoing.map((out, index) => ({
        topic: out.topic ?? topicFor(out.type),
        event: buildOutgoing(out, {
          source: ctx.source,
          id: deriveEventId(event.source, event.id, index),
        }),
      }));
    } catch (thrown) {
      const error = toError(thrown);
      span.recordException(error);
      const decision = decideRetry(error, attempt, ctx.retry, ctx.random);
      if (!decision.retry) {
        ctx.logger.warn(
          { err: error, migrationId: migrationIdOf(error) ?? event.subject, type: event.type },
          "handler failed for good",
        );
        return deadLetter(
          ctx,
          record,
          {
            code: decision.code,
            reason: decision.reason,
            attempts: attempt,
            event,
            migrationId: migrationIdOf(error) ?? event.subject,
          },
          span,
        );
      }
      await ctx.observer?.onRetry?.({ event, attempt, delayMs: decision.delayMs, error });
      ctx.logger.info(
        { err: error, migrationId: event.subject, attempt, delayMs: decision.delayMs },
        "handler failed, retrying",
      );
      if (!ctx.isStopping()) await ctx.sleep(decision.delayMs);
      if (ctx.isStopping()) {
        span.setAttribute("shadow.outcome", "aborted");
        return { kind: "aborted", event };
      }
      continue;
    }
    // Outside the try: a failed send is Kafka's trouble, not the handler's. It propagates, the
    // offset stays uncommitted, and the redelivered record re-emits the same ids.
    const emitted = await ctx.send(built);
    await ctx.dedupe.add(key);
    recordHandlerDuration(event.type, performance.now() - started, ctx.groupId);
    span.setAttributes({ "shadow.outcome": "handled", "shadow.attempts": attempt });
    return { kind: "handled", event, emitted, attempts: attempt };
  }
}

async function deadLetter<D>(
  ctx: PipelineContext<D>,
  record: RecordInfo & { message: KafkaMessage },
  failure: {
    code: DeadLetterCode;
    reason: string;
    attempts: number;
    event?: ShadowEvent;
    migrationId?: string;
  },
  span?: Span,
): Promise<Outcome> {
  const migrationId = failure.migrationId ?? failure.event?.subject;
  const message = deadLetterRecord(record.message, {
    code: failure.code,
    reason: failure.reason,
    topic: record.topic,
    partition: record.partition,
    groupId: ctx.groupId,
    attempts: failure.attempts,
    ...(migrationId ? { migrationId } : {}),
  });
  await ctx.sendRecords(ctx.deadLetterTopic, [message]);
  span?.setStatus({ code: SpanStatusCode.ERROR, message: `${failure.code}: ${failure.reason}` });
  span?.setAttribute("shadow.outcome", "dead-lettered");
  ctx.logger.warn(
    { code: failure.code, reason: failure.reason, migrationId, ...record, message: undefined },
    "record dead-lettered",
  );
  return {
    kind: "dead-lettered",
    code: failure.code,
    reason: failure.reason,
    attempts: failure.attempts,
    ...(failure.event ? { event: failure.event } : {}),
  };
}
