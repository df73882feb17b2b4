import { describe, expect, it } from "vitest";
import type { PendingOutput } from "../types.ts";
import { StaleSessionError } from "./errors.ts";
import { OutputPipeline } from "./output-pipeline.ts";

const out = (offset: number, partition = 0): PendingOutput => ({
  topic: "out",
  key: "k",
  value: String(offset),
  headers: {},
  input: { topic: "in", partition, offset },
});

describe("output pipeline", () => {
  it("keeps order across a failed batch and has one batch in flight at a time", async () => {
    const sent: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let failures = 1;
    const pipeline = new OutputPipeline({ maxBatch: 2, retryBackoffMs: 1 });
    pipeline.setSender(async (batch) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight -= 1;
      if (failures-- > 0) throw new Error("broker hiccup");
      sent.push(...batch.map((o) => o.value as string));
    });
    for (let i = 0; i < 7; i++) pipeline.enqueue([out(i)]);
    await pipeline.flush();
    expect(sent).toEqual(["0", "1", "2", "3", "4", "5", "6"]);
    expect(maxInFlight).toBe(1);
    expect(pipeline.pending).toBe(0);
  });

  it("reports the lowest unacknowledged input offset per partition", () => {
    const pipeline = new OutputPipeline();
    pipeline.enqueue([out(4, 0), out(9, 1), out(5, 0)]);
    expect(pipeline.lowest("in", 0)).toBe(4);
    expect(pipeline.lowest("in", 1)).toBe(9);
    expect(pipeline.lowest("in", 2)).toBeUndefined();
  });

  it("stops using a stale producer and keeps its outputs for the next one", async () => {
    const pipeline = new OutputPipeline({ retryBackoffMs: 1 });
    let staleCalls = 0;
    pipeline.setSender(async () => {
      staleCalls += 1;
      throw new StaleSessionError(0, 1, "produce");
    });
    pipeline.enqueue([out(1), out(2)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(staleCalls).toBe(1);
    expect(pipeline.pending).toBe(2);
    const sent: string[] = [];
    pipeline.setSender(async (batch) => {
      sent.push(...batch.map((o) => o.value as string));
    });
    await pipeline.flush();
    expect(sent).toEqual(["1", "2"]);
  });

  it("hands every unacknowledged output over (in flight first) and forgets the send in flight", async () => {
    const pipeline = new OutputPipeline({ maxBatch: 1 });
    let release!: () => void;
    const acked: string[] = [];
    const pipelineWithAck = new OutputPipeline({
      maxBatch: 1,
      onAcked: (b) => acked.push(...b.map((o) => o.value as string)),
    });
    pipelineWithAck.setSender(
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    pipelineWithAck.enqueue([out(1), out(2), out(3)]);
    await Promise.resolve();
    const taken = pipelineWithAck.takeUnsettled();
    expect(taken.map((o) => o.value)).toEqual(["1", "2", "3"]);
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(acked).toEqual([]);
    expect(pipelineWithAck.pending).toBe(0);
    await pipeline.flush();
  });
});
