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
import type {
  EventGate,
  Handler,
  Handlers,
  Outcome,
  RecordInfo,
  RecordPosition,
  RunnerObserver,
} from "./types.ts";

const tracer = trace.getTracer("@shadow/events");

/** Everything one record's processing needs; the runner wires it to kafkajs, tests to fakes. */
export interface PipelineContext<D> {
  groupId: string;
  /** CloudEvent source of the events handlers emit. */
  source: string;
  handlers: Handlers<D>;
  /**
   * Handlers for events the gate finds late: their migration ended before them (a step that
   * finished after a rollback, say). They clean up after the step; the usual ones never see
   * such an event.
   */
  afterEnd?: Handlers<D>;
  /** Decides from the log which events the handlers may act on (see EventGate). */
  gate?: EventGate;
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
 * attributes and data → the gate's verdict at its place in the log (stale: skip it) → dedupe
 * by (source, id) → handler in a span whose parent is the emitter's span → emit its events
 * (ids derived from the input's) → remember the key. Bad input and failed handlers end in the
 * dead-letter topic; only a broken Kafka makes it throw (then nothing was committed and the
 * record comes again). The offset commit is the caller's, after this returns.
 */
export async function processRecord<D>(
  record: RecordInfo & { message: KafkaMessage },
  ctx: PipelineContext<D>,
): Promise<Outcome> {
  const decoded = decodeRecord(record.message);
  if (!decoded.ok) {
    await ctx.gate?.skip?.(positionOf(record));
    return deadLetter(ctx, record, { code: decoded.code, reason: decoded.reason, attempts: 0 });
  }
  const raw = decoded.event;
  const unknownType = checkType(raw);
  if (unknownType && !unknownType.ok) {
    await ctx.gate?.skip?.(positionOf(record));
    return deadLetter(ctx, record, { ...unknownType, attempts: 0, event: raw });
  }
  const handler = ctx.handlers[raw.type as EventType] as Handler<EventType, D> | undefined;
  const late = ctx.afterEnd?.[raw.type as EventType] as Handler<EventType, D> | undefined;
  if (!handler && !late) {
    // Topics are shared by the whole choreography: most events are for other services. No
    // span either, or every service would add one to every trace for events it skips. The
    // gate still folds them: what the others did decides what this service may do next.
    if (ctx.gate) {
      const valid = validateEvent(raw);
      if (valid.ok) await ctx.gate.judge(valid.event, positionOf(record));
      else await ctx.gate.skip?.(positionOf(record));
    }
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
      processHandled(raw, { handler, late }, record, span, ctx),
    );
  } catch (error) {
    span.recordException(toError(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: toError(error).message });
    throw error;
  } finally {
    span.end();
  }
}

function positionOf(record: RecordInfo & { message: KafkaMessage }): RecordPosition {
  const key = record.message.key;
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: key == null ? null : key.toString(),
  };
}

async function processHandled<D>(
  raw: ShadowEvent,
  handlers: { handler: Handler<EventType, D> | undefined; late: Handler<EventType, D> | undefined },
  record: RecordInfo & { message: KafkaMessage },
  span: Span,
  ctx: PipelineContext<D>,
): Promise<Outcome> {
  const valid = validateEvent(raw);
  if (!valid.ok) {
    await ctx.gate?.skip?.(positionOf(record));
    return deadLetter(ctx, record, { ...valid, attempts: 0, event: raw }, span);
  }
  const event = valid.event;
  let handler = handlers.handler;
  if (ctx.gate) {
    const verdict = await ctx.gate.judge(event, positionOf(record));
    if (!verdict.act && "invalid" in verdict) {
      return deadLetter(ctx, record, { ...verdict.invalid, attempts: 0, event }, span);
    }
    if (!verdict.act) {
      span.setAttribute("shadow.stale", verdict.stale);
      if (!(verdict.ended && handlers.late)) {
        span.setAttribute("shadow.outcome", "stale");
        ctx.logger.info(
          { migrationId: event.subject, type: event.type, id: event.id, reason: verdict.stale },
          "stale event: nothing done",
        );
        return { kind: "stale", event, reason: verdict.stale };
      }
      handler = handlers.late;
    } else if (!handler) {
      // Only an after-end handler here, and the migration is live: not this service's event.
      return { kind: "ignored", event };
    }
  }
  if (!handler) return { kind: "ignored", event };
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
