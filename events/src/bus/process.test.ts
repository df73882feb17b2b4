import { context, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { createLogger } from "@shadow/otel/logger";
import type { Message } from "kafkajs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { toBinaryRecord } from "../binding/encode.ts";
import { CheckpointCreated, MigrationRequested } from "../catalog/index.ts";
import { RetryableError, TerminalError } from "../errors.ts";
import { buildEvent, outgoing, type ShadowEvent } from "../event.ts";
import { deriveEventId } from "../ids.ts";
import { asConsumed } from "../testing/kafka-message.ts";
import { sampleData } from "../testing/samples.ts";
import { topics } from "../topics.ts";
import { dlqHeaders } from "./dead-letter.ts";
import { MemoryDedupeStore } from "./dedupe.ts";
import { type PipelineContext, processRecord } from "./process.ts";
import { retryPolicy } from "./retry.ts";
import type { EventGate, GateVerdict, Handlers } from "./types.ts";

const spans = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(() => {
  trace.disable();
  context.disable();
});

const samples = sampleData("m-1");
const requested = () =>
  buildEvent(MigrationRequested, samples["io.shadow.migration.requested.v1"], {
    source: "/shadow/gateway",
  });
const checkpointData = samples["io.shadow.migration.checkpoint.created.v1"];

interface Fake {
  ctx: PipelineContext<{ calls: number }>;
  sent: { topic: string; event: ShadowEvent }[];
  dead: { topic: string; message: Message }[];
  sleeps: number[];
  deps: { calls: number };
  stopping: { value: boolean };
}

function fake(handlers: Handlers<{ calls: number }>, maxAttempts = 3): Fake {
  const sent: Fake["sent"] = [];
  const dead: Fake["dead"] = [];
  const sleeps: number[] = [];
  const deps = { calls: 0 };
  const stopping = { value: false };
  const ctx: PipelineContext<{ calls: number }> = {
    groupId: "g-test",
    source: "/shadow/checkpoint-svc",
    handlers,
    deps,
    dedupe: new MemoryDedupeStore(),
    retry: retryPolicy({ maxAttempts, initialDelayMs: 10, jitter: 0 }),
    deadLetterTopic: "dlq",
    send: async (items) => {
      sent.push(...items);
      return items.map((i) => i.event);
    },
    sendRecords: async (topic, messages) => {
      for (const message of messages) dead.push({ topic, message });
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    isStopping: () => stopping.value,
    logger: createLogger({ name: "test", level: "silent" }),
  };
  return { ctx, sent, dead, sleeps, deps, stopping };
}

const record = (event: ShadowEvent, offset = "5") => ({
  topic: topics.migrations,
  partition: 0,
  offset,
  message: asConsumed(toBinaryRecord(event), offset),
});

const checkpointHandler: Handlers<{ calls: number }> = {
  [MigrationRequested.type]: async (event, deps) => {
    deps.calls++;
    return [
      outgoing(CheckpointCreated, { ...checkpointData, migrationId: event.data.migrationId }),
      outgoing(CheckpointCreated, { ...checkpointData, checkpointId: "ckpt-2" }),
    ];
  },
};

beforeEach(() => spans.reset());

describe("processRecord", () => {
  it("runs the handler and emits its events with ids derived from the input", async () => {
    const f = fake(checkpointHandler);
    const input = requested();
    const outcome = await processRecord(record(input), f.ctx);
    expect(outcome.kind).toBe("handled");
    expect(f.deps.calls).toBe(1);
    expect(f.sent.map((s) => s.event.id)).toEqual([
      deriveEventId(input.source, input.id, 0),
      deriveEventId(input.source, input.id, 1),
    ]);
    expect(f.sent[0]).toMatchObject({
      topic: topics.migrations,
      event: { source: "/shadow/checkpoint-svc", type: CheckpointCreated.type, subject: "m-1" },
    });
  });

  it("runs the handler once for an event delivered twice", async () => {
    const f = fake(checkpointHandler);
    const input = requested();
    expect((await processRecord(record(input, "5"), f.ctx)).kind).toBe("handled");
    expect((await processRecord(record(input, "6"), f.ctx)).kind).toBe("duplicate");
    expect(f.deps.calls).toBe(1);
    expect(f.sent).toHaveLength(2);
  });

  it("re-emits the same ids when a fresh runner (empty dedupe) sees the event again", async () => {
    const first = fake(checkpointHandler);
    const second = fake(checkpointHandler);
    const input = requested();
    await processRecord(record(input), first.ctx);
    await processRecord(record(input), second.ctx);
    expect(second.sent.map((s) => s.event.id)).toEqual(first.sent.map((s) => s.event.id));
  });

  it("skips known types it has no handler for, without dead-lettering them", async () => {
    const f = fake({});
    expect((await processRecord(record(requested()), f.ctx)).kind).toBe("ignored");
    expect(f.dead).toHaveLength(0);
  });

  it("dead-letters an unknown type and schema-invalid data with the original bytes", async () => {
    const f = fake(checkpointHandler);
    const unknown = { ...requested(), type: "io.shadow.migration.teleported.v1" };
    const invalid = { ...requested(), data: { migrationId: "m-1" } };
    const outcomes = [
      await processRecord(record(unknown), f.ctx),
      await processRecord(record(invalid), f.ctx),
    ];
    expect(outcomes.map((o) => o.kind === "dead-lettered" && o.code)).toEqual([
      "unknown-type",
      "schema-invalid",
    ]);
    expect(f.dead.map((d) => d.topic)).toEqual(["dlq", "dlq"]);
    expect(f.dead[1]?.message.value).toEqual(record(invalid).message.value);
    expect(f.dead[1]?.message.headers?.[dlqHeaders.migrationId]).toBe("m-1");
  });

  it("dead-letters what cannot be decoded", async () => {
    const f = fake(checkpointHandler);
    const garbage = {
      topic: "in",
      partition: 1,
      offset: "9",
      message: asConsumed({ key: null, value: Buffer.from("\u0000garbage") }, "9"),
    };
    const outcome = await processRecord(garbage, f.ctx);
    expect(outcome).toMatchObject({ kind: "dead-lettered", code: "invalid-json" });
    expect(f.dead[0]?.message.headers?.[dlqHeaders.sourceOffset]).toBe("9");
  });

  it("retries a failing handler with backoff, then dead-letters it", async () => {
    const f = fake(
      {
        [MigrationRequested.type]: async (_event, deps) => {
          deps.calls++;
          throw new Error("node busy");
        },
      },
      3,
    );
    const outcome = await processRecord(record(requested()), f.ctx);
    expect(outcome).toMatchObject({
      kind: "dead-lettered",
      code: "retries-exhausted",
      attempts: 3,
    });
    expect(f.deps.calls).toBe(3);
    expect(f.sleeps).toEqual([10, 20]);
    expect(f.sent).toHaveLength(0);
  });

  it("succeeds on a later attempt and says how many it took", async () => {
    const f = fake({
      [MigrationRequested.type]: async (_event, deps) => {
        deps.calls++;
        if (deps.calls < 2) throw new RetryableError("later", { retryAfterMs: 33 });
        return [];
      },
    });
    const outcome = await processRecord(record(requested()), f.ctx);
    expect(outcome).toMatchObject({ kind: "handled", attempts: 2 });
    expect(f.sleeps).toEqual([33]);
  });

  it("does not retry a terminal error", async () => {
    const f = fake({
      [MigrationRequested.type]: async (_event, deps) => {
        deps.calls++;
        throw new TerminalError("no such workload", { migrationId: "m-1" });
      },
    });
    const outcome = await processRecord(record(requested()), f.ctx);
    expect(outcome).toMatchObject({ kind: "dead-lettered", code: "handler-terminal", attempts: 1 });
    expect(f.deps.calls).toBe(1);
  });

  it("treats a handler emitting invalid data as terminal", async () => {
    const f = fake({
      [MigrationRequested.type]: async () => [
        outgoing(CheckpointCreated, { ...checkpointData, sizeBytes: -1 }),
      ],
    });
    const outcome = await processRecord(record(requested()), f.ctx);
    expect(outcome).toMatchObject({ kind: "dead-lettered", code: "handler-terminal" });
  });

  it("stops retrying when the runner stops, leaving the record uncommitted", async () => {
    const f = fake({
      [MigrationRequested.type]: async () => {
        f.stopping.value = true;
        throw new Error("down");
      },
    });
    const outcome = await processRecord(record(requested()), f.ctx);
    expect(outcome.kind).toBe("aborted");
    expect(f.dead).toHaveLength(0);
  });

  it("lets a failed send propagate, so nothing is committed and the key is not remembered", async () => {
    const f = fake(checkpointHandler);
    f.ctx.send = async () => {
      throw new Error("broker gone");
    };
    const input = requested();
    await expect(processRecord(record(input), f.ctx)).rejects.toThrow("broker gone");
    f.ctx.send = async (items) => items.map((i) => i.event);
    expect((await processRecord(record(input), f.ctx)).kind).toBe("handled");
  });
});

describe("processRecord with a gate", () => {
  /** A gate that answers from a list and records what it was asked, in order. */
  function gate(verdicts: GateVerdict[]): EventGate & { asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      skip: (position) => {
        asked.push(`skip@${position.partition}/${position.offset}`);
      },
      judge: (event, position) => {
        asked.push(`${event.type}@${position.partition}/${position.offset} key=${position.key}`);
        return verdicts.shift() ?? { act: true };
      },
    };
  }

  it("runs the handler for an event the gate lets through, and tells the gate where it lies", async () => {
    const f = fake(checkpointHandler);
    const g = gate([{ act: true }]);
    f.ctx.gate = g;
    expect((await processRecord(record(requested(), "7"), f.ctx)).kind).toBe("handled");
    expect(g.asked).toEqual([`${MigrationRequested.type}@0/7 key=orders`]);
  });

  it("does nothing for a stale event: no handler run, nothing emitted, nothing dead-lettered", async () => {
    const f = fake(checkpointHandler);
    f.ctx.gate = gate([{ act: false, stale: "a replay", ended: false }]);
    const outcome = await processRecord(record(requested()), f.ctx);
    expect(outcome).toMatchObject({ kind: "stale", reason: "a replay" });
    expect(f.deps.calls).toBe(0);
    expect(f.sent).toHaveLength(0);
    expect(f.dead).toHaveLength(0);
  });

  it("gives an event whose migration ended to the after-end handler, never the usual one", async () => {
    const f = fake(checkpointHandler);
    let late = 0;
    f.ctx.afterEnd = {
      [MigrationRequested.type]: async () => {
        late++;
        return [];
      },
    };
    f.ctx.gate = gate([
      { act: false, stale: "ended", ended: true },
      { act: false, stale: "a replay", ended: false },
    ]);
    expect((await processRecord(record(requested(), "1"), f.ctx)).kind).toBe("handled");
    expect((await processRecord(record(requested(), "2"), f.ctx)).kind).toBe("stale");
    expect([late, f.deps.calls]).toEqual([1, 0]);
  });

  it("dead-letters what the gate finds malformed, with its code and reason", async () => {
    const f = fake(checkpointHandler);
    f.ctx.gate = gate([{ act: false, invalid: { code: "misrouted", reason: "keyed by m-1" } }]);
    const outcome = await processRecord(record(requested()), f.ctx);
    expect(outcome).toMatchObject({ kind: "dead-lettered", code: "misrouted" });
    expect(f.dead[0]?.message.headers?.[dlqHeaders.reason]).toBe("keyed by m-1");
    expect(f.deps.calls).toBe(0);
  });

  it("shows the gate every valid event, those it has no handler for too, and skips invalid ones", async () => {
    const f = fake({});
    const g = gate([]);
    f.ctx.gate = g;
    const invalid = { ...requested(), data: { migrationId: "m-1" } };
    expect((await processRecord(record(requested(), "3"), f.ctx)).kind).toBe("ignored");
    expect((await processRecord(record(invalid, "4"), f.ctx)).kind).toBe("ignored");
    expect(g.asked).toEqual([`${MigrationRequested.type}@0/3 key=orders`, "skip@0/4"]);
    expect(f.dead).toHaveLength(0);
  });

  it("tells the gate where a record it cannot read lies, so the gate's count of the log holds", async () => {
    const f = fake(checkpointHandler);
    const g = gate([]);
    f.ctx.gate = g;
    const garbage = {
      topic: topics.migrations,
      partition: 2,
      offset: "8",
      message: asConsumed({ key: null, value: Buffer.from("\u0000garbage") }, "8"),
    };
    expect((await processRecord(garbage, f.ctx)).kind).toBe("dead-lettered");
    const invalid = { ...requested(), data: { migrationId: "m-1" } };
    expect((await processRecord(record(invalid, "9"), f.ctx)).kind).toBe("dead-lettered");
    expect(g.asked).toEqual(["skip@2/8", "skip@0/9"]);
  });
});

describe("tracing", () => {
  it("runs the handler in a consumer span whose parent is the emitter's span", async () => {
    const tracer = trace.getTracer("test");
    const producer = tracer.startSpan("emit", { kind: SpanKind.PRODUCER }, ROOT_CONTEXT);
    const sc = producer.spanContext();
    producer.end();
    const input = { ...requested(), traceparent: `00-${sc.traceId}-${sc.spanId}-01` };
    let seenInHandler: string | undefined;
    const f = fake({
      [MigrationRequested.type]: async () => {
        seenInHandler = trace.getSpanContext(context.active())?.spanId;
        return [];
      },
    });
    await processRecord(record(input), f.ctx);
    const handle = spans
      .getFinishedSpans()
      .find((s) => s.name === `handle ${MigrationRequested.type}`);
    expect(handle?.kind).toBe(SpanKind.CONSUMER);
    expect(handle?.spanContext().traceId).toBe(sc.traceId);
    expect(handle?.parentSpanContext?.spanId).toBe(sc.spanId);
    expect(seenInHandler).toBe(handle?.spanContext().spanId);
    expect(handle?.attributes["shadow.outcome"]).toBe("handled");
  });

  it("adds no span for events this service has no handler for", async () => {
    const f = fake({});
    await processRecord(record(requested()), f.ctx);
    expect(spans.getFinishedSpans()).toHaveLength(0);
  });

  it("falls back to the Kafka traceparent header when the event has no extension", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const f = fake(checkpointHandler);
    const r = record(requested());
    r.message.headers = {
      ...r.message.headers,
      traceparent: Buffer.from(`00-${traceId}-00f067aa0ba902b7-01`),
    };
    await processRecord(r, f.ctx);
    const handle = spans.getFinishedSpans().find((s) => s.name.startsWith("handle"));
    expect(handle?.spanContext().traceId).toBe(traceId);
  });
});
