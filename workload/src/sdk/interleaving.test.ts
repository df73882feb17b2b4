import pino from "pino";
import { describe, expect, it } from "vitest";
import type { ControlEvent } from "../control/channel.ts";
import type { PartitionOffset, PendingOutput, WorkloadCounts } from "../types.ts";
import { HeldBack } from "./held-back.ts";
import type { Identity } from "./identity.ts";
import { InputFlow, type InputFlowOptions } from "./input-flow.ts";
import { Lock } from "./lock.ts";
import type { FenceBase } from "./mode/fence-base.ts";
import { type ModeResources, ModeRunner } from "./mode/runner.ts";
import { initialState } from "./mode/state.ts";
import { OutputPipeline } from "./output-pipeline.ts";
import { Progress } from "./progress.ts";

const T = "orders";
const base: FenceBase = {
  migrationId: "m-1",
  workload: "orders",
  strategy: "shadow",
  identitySwap: false,
  requestedAt: "2026-01-01T00:00:00.000Z",
  handoff: {
    round: 1,
    from: { instance: "orders-0", node: "node-a" },
    to: { instance: "orders-0-s", node: "node-b" },
  },
  fenceId: "f-1",
};
const shadowId: Identity = {
  workload: "orders",
  instance: "orders-0-s",
  node: "node-b",
  role: "shadow",
  incarnation: 2,
  migrationId: "m-1",
};
const at = (...offsets: number[]): PartitionOffset[] =>
  offsets.map((offset, partition) => ({ topic: T, partition, offset }));

/**
 * A shadow of the example's shape over two partitions: a workload-wide output count (`outSeq`)
 * is its state across partitions. The SDK's real machine, input flow, buffer and pipeline decide
 * what it processes and what it produces; the records come in the order `deliveries` gives,
 * and a record the flow refuses is delivered again later, as Kafka does after a seek.
 */
class Shadow implements ModeResources {
  readonly progress = new Progress();
  readonly held = new HeldBack(1_000);
  readonly pipeline = new OutputPipeline({ retryBackoffMs: 1 });
  readonly lock = new Lock();
  readonly counts = { discarded: 0, held: 0, outputPauses: 0 } as WorkloadCounts;
  readonly runner: ModeRunner;
  readonly flow: InputFlow;
  readonly produced: number[] = [];
  readonly published: ControlEvent[] = [];
  private pending: PartitionOffset[] = [];

  /** Starts from the source's checkpoint: `outputs` counted, `processed` per partition. */
  constructor(
    private outputs: number,
    processed: PartitionOffset[],
  ) {
    for (const p of processed) this.progress.record(p.topic, p.partition, p.offset);
    this.progress.assigned = processed.map(({ topic, partition }) => ({ topic, partition }));
    this.runner = new ModeRunner(this, initialState(shadowId, "orders-0"));
    const options = {
      consumption: () => this.runner.consumption,
      limit: (topic: string, partition: number) => this.runner.limit?.(topic, partition),
      session: () => undefined,
      progress: this.progress,
      held: this.held,
      pipeline: this.pipeline,
      counts: this.counts,
      maxPendingOutputs: 1_000,
    } as InputFlowOptions;
    this.flow = new InputFlow(options);
    this.pipeline.setSender(async (batch) => {
      for (const o of batch) this.produced.push(Number(o.value));
    });
  }

  identity() {
    return shadowId;
  }
  log() {
    return pino({ level: "silent" });
  }
  async publish(event: ControlEvent) {
    this.published.push(event);
    return true;
  }
  async commitNow() {}
  updateFlow() {
    this.flow.update();
  }
  now() {
    return 1_000_000;
  }

  /** Delivers records in this order, then again those refused, until none is admitted. */
  deliver(records: PartitionOffset[]): void {
    let queue = [...this.pending, ...records];
    for (;;) {
      const refused: PartitionOffset[] = [];
      let admitted = 0;
      for (const r of queue) {
        if ((this.progress.last(r.topic, r.partition) ?? -1) >= r.offset) continue;
        if (!this.flow.admits(r.topic, r.partition, r.offset)) {
          refused.push(r);
          continue;
        }
        admitted += 1;
        this.outputs += 1;
        this.progress.record(r.topic, r.partition, r.offset);
        const output: PendingOutput = {
          topic: "out",
          key: `k${r.partition}`,
          value: String(this.outputs),
          headers: {},
          input: r,
        };
        this.runner.route([output]);
        void this.runner.feed({ type: "record-processed" });
        this.flow.afterProcessed();
      }
      queue = refused;
      if (admitted === 0 || refused.length === 0) break;
    }
    this.pending = queue;
  }
}

/** Records 1..9 of both partitions in the order a fetch might hand them over. */
const partitionsFirst = (first: number) => {
  const order = first === 0 ? [0, 1] : [1, 0];
  return order.flatMap((partition) =>
    Array.from({ length: 9 }, (_, i) => ({ topic: T, partition, offset: i + 1 })),
  );
};

/**
 * The source processed A0 B0 (checkpoint: outputs 2), then A1 B1 A2 B2 A3 B3 in that order and
 * committed A1 B1 on the way; its cut is A3 B3 with 8 outputs counted. Whatever order the
 * shadow is handed the records in, its first outputs after the cut must count on from 8.
 */
async function handover(first: number): Promise<number[]> {
  const shadow = new Shadow(2, at(0, 0));
  shadow.deliver(partitionsFirst(first));
  await shadow.runner.feed({ type: "source-progress", positions: at(1, 1) });
  shadow.deliver([]);
  await shadow.runner.feed({
    type: "fence-cut",
    data: {
      ...base,
      instance: "orders-0",
      cut: at(3, 3),
      pausedAt: new Date(999_000).toISOString(),
    },
    trace: {},
  });
  shadow.deliver([]);
  const passed = shadow.published.find((e) => e.type.includes("passed"));
  if (!passed) throw new Error("the shadow never passed the cut");
  await shadow.runner.feed({ type: "fence-passed", data: passed.data as never });
  shadow.deliver([]);
  await shadow.pipeline.flush();
  return [...shadow.produced].sort((a, b) => a - b);
}

describe("the shadow's state at the cut, whatever the interleaving of partitions", () => {
  it("continues the source's outSeq with the partitions handed over A first or B first", async () => {
    // 12 records beyond the cut (A4..A9, B4..B9): outputs 9..20, each once, none at or below 8.
    const expected = Array.from({ length: 12 }, (_, i) => 9 + i);
    expect(await handover(0)).toEqual(expected);
    expect(await handover(1)).toEqual(expected);
  });
});
