import { RetryableError, TerminalError } from "@shadow/events";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { InputRecord, PendingOutput, ServiceDefinition, WorkloadCounts } from "../types.ts";
import { deadLetterHeaders } from "./dead-letter.ts";
import { Lock } from "./lock.ts";
import { type Admission, Processor } from "./processor.ts";
import { Progress } from "./progress.ts";

const record = (offset: number, value = `{"n":${offset}}`, partition = 0): InputRecord => ({
  topic: "in",
  partition,
  offset,
  key: "k",
  value: Buffer.from(value),
  headers: { origin: "test" },
  timestamp: 1,
});

function setup(handle: ServiceDefinition<number[]>["handle"], admission: Admission = "process") {
  /** Where the process is; `checks` counts reads of the identity file. */
  const place = { node: "n", checks: 0 };
  const routed: PendingOutput[] = [];
  const seeks: number[] = [];
  const progress = new Progress();
  const counts = {
    processed: 0,
    deadLettered: 0,
    duplicatesSkipped: 0,
    refused: 0,
    staleDeliveries: 0,
  } as WorkloadCounts;
  const state: number[] = [];
  const decision = { admission };
  const processor = new Processor<number[]>({
    service: { stateAcrossPartitions: "commutative", initialState: () => [], handle },
    getState: () => state,
    progress,
    lock: new Lock(),
    outputTopic: "out",
    deadLetterTopic: "dlq",
    counts,
    log: pino({ level: "silent" }),
    admit: () => decision.admission,
    context: () => ({
      identity: { workload: "w", instance: "i", role: "primary", node: place.node, incarnation: 1 },
      mode: "primary",
      now: Date.now(),
      groupId: "g",
    }),
    modeNow: () => "primary",
    identityNow: () => {
      place.checks += 1;
      return { workload: "w", instance: "i", role: "primary", node: place.node, incarnation: 1 };
    },
    seek: (_epoch, _topic, _partition, offset) => seeks.push(offset),
    route: (outputs) => routed.push(...outputs),
    afterProcessed: () => undefined,
    retry: { attempts: 3, backoffMs: 1 },
    sleep: async () => undefined,
  });
  return { processor, routed, seeks, progress, counts, state, decision, place };
}

const echo: ServiceDefinition<number[]>["handle"] = (state, r) => {
  state.push(r.offset);
  return [{ key: r.key, value: `out-${r.offset}` }];
};

describe("processor", () => {
  it("tells a handler who it is when it asks, so a record finished after a restore names the copy", async () => {
    let resume: () => void = () => undefined;
    const seen: string[] = [];
    const { processor, place } = setup(async (_state, r, context) => {
      seen.push(context.identity.node);
      await new Promise<void>((resolve) => {
        resume = resolve;
      });
      seen.push(context.identity.node);
      return [{ key: r.key, value: "x" }];
    });
    const handled = processor.handle(0, record(0));
    // Frozen by a dump and restored on another node while the handler awaited.
    await new Promise((resolve) => setTimeout(resolve, 5));
    place.node = "m";
    resume();
    await handled;
    expect(seen).toEqual(["n", "m"]);
  });

  it("reads the identity file only when a handler asks a millisecond or more after the hand-over", async () => {
    const { processor, place } = setup((_state, r, context) => [
      { key: r.key, value: context.identity.node },
    ]);
    for (let offset = 0; offset < 50; offset++) await processor.handle(0, record(offset));
    // Fast handlers are still the copy they were handed to; a slow machine may check a few.
    expect(place.checks).toBeLessThan(25);
  });

  it("processes each offset once, whatever the consumer redelivers", async () => {
    const { processor, routed, state, counts } = setup(echo);
    for (const offset of [0, 1, 1, 0, 2]) await processor.handle(0, record(offset));
    expect(state).toEqual([0, 1, 2]);
    expect(routed.map((o) => o.value)).toEqual(["out-0", "out-1", "out-2"]);
    expect(routed[2]?.input).toEqual({ topic: "in", partition: 0, offset: 2 });
    expect(counts.duplicatesSkipped).toBe(2);
  });

  it("seeks back once when the consumer skips ahead, and accepts a real gap after that", async () => {
    const { processor, seeks, state } = setup(echo);
    await processor.handle(0, record(3));
    await processor.handle(0, record(6));
    expect(seeks).toEqual([4]);
    expect(state).toEqual([3]);
    await processor.handle(0, record(6));
    expect(state).toEqual([3, 6]);
  });

  it("refuses without touching state and remembers where to resume", async () => {
    const { processor, progress, state, counts, decision } = setup(echo, "refuse");
    await processor.handle(0, record(10));
    await processor.handle(0, record(11));
    expect(state).toEqual([]);
    expect(counts.refused).toBe(2);
    expect(progress.next("in", 0)).toBe(10);
    decision.admission = "stale";
    await processor.handle(0, record(12));
    expect(counts.staleDeliveries).toBe(1);
  });

  it("dead-letters a terminal failure at once with the reason and the original record", async () => {
    const { processor, routed, progress, counts } = setup(() => {
      throw new TerminalError("missing field amount", { code: "invalid-record" });
    });
    await processor.handle(0, record(0, "not json"));
    expect(counts.deadLettered).toBe(1);
    expect(progress.last("in", 0)).toBe(0);
    const [dead] = routed;
    expect(dead?.topic).toBe("dlq");
    expect(dead?.value.toString()).toBe("not json");
    expect(dead?.headers[deadLetterHeaders.reason]).toBe("missing field amount");
    expect(dead?.headers[deadLetterHeaders.code]).toBe("invalid-record");
    expect(dead?.headers[deadLetterHeaders.sourceOffset]).toBe("0");
    expect(dead?.headers[deadLetterHeaders.attempts]).toBe("1");
    expect(dead?.headers.origin).toBe("test");
  });

  it("retries other failures, then dead-letters them", async () => {
    let calls = 0;
    const { processor, routed } = setup(() => {
      calls += 1;
      throw new RetryableError("db busy");
    });
    await processor.handle(0, record(0));
    expect(calls).toBe(3);
    expect(routed[0]?.headers[deadLetterHeaders.code]).toBe("retries-exhausted");
  });

  it("succeeds on a retry without a dead letter", async () => {
    let calls = 0;
    const { processor, routed } = setup((_s, r) => {
      calls += 1;
      if (calls === 1) throw new Error("flaky");
      return [{ key: null, value: `ok-${r.offset}` }];
    });
    await processor.handle(0, record(0));
    expect(routed.map((o) => o.value)).toEqual(["ok-0"]);
  });
});
