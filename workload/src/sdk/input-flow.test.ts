import { describe, expect, it } from "vitest";
import type { WorkloadCounts } from "../types.ts";
import type { HeldBack } from "./held-back.ts";
import { InputFlow } from "./input-flow.ts";
import type { KafkaSession } from "./kafka-session.ts";
import type { OutputPipeline } from "./output-pipeline.ts";
import { Progress, type TopicPartition } from "./progress.ts";

/** A shadow's input flow bounded by `bounds` (its source's progress), over a recording session. */
function shadowFlow(bounds: Map<number, number>) {
  const calls: string[] = [];
  const session = {
    pausePartitions: (tps: readonly TopicPartition[]) => {
      if (tps.length > 0) calls.push(`pause ${tps.map((t) => t.partition).join(",")}`);
    },
    resumePartitions: (tps: readonly (TopicPartition & { offset?: number })[]) => {
      if (tps.length > 0)
        calls.push(`resume ${tps.map((t) => `${t.partition}@${t.offset ?? "here"}`).join(",")}`);
    },
    pauseInput: () => calls.push("pause all"),
    resumeInput: () => calls.push("resume all"),
  } as unknown as KafkaSession;
  const progress = new Progress();
  progress.assigned = [
    { topic: "in", partition: 0 },
    { topic: "in", partition: 1 },
  ];
  const flow = new InputFlow({
    consumption: () => "hold",
    limit: (_topic, partition) => bounds.get(partition) ?? -1,
    session: () => session,
    progress,
    held: { full: false, partitions: () => [] } as unknown as HeldBack,
    pipeline: { pending: 0 } as unknown as OutputPipeline,
    counts: {} as WorkloadCounts,
    maxPendingOutputs: 100,
  });
  return { flow, calls, progress };
}

describe("a shadow's input flow at its source's progress", () => {
  it("resumes a partition paused before anything of it was delivered, in place", () => {
    // The source's progress not read yet: every partition is at its bound of nothing.
    const bounds = new Map<number, number>();
    const { flow, calls } = shadowFlow(bounds);
    flow.update();
    expect(calls).toEqual(["pause 0,1"]);
    // The source processed partition 1 up to 199: it resumes, where the consumer began.
    bounds.set(1, 199);
    flow.update();
    expect(calls.at(-1)).toBe("resume 1@here");
    expect(flow.admits("in", 1, 0)).toBe(true);
  });

  it("resumes a partition it processed or refused records of right after them", () => {
    const bounds = new Map([[0, 4]]);
    const { flow, calls, progress } = shadowFlow(bounds);
    progress.record("in", 0, 4);
    progress.noteRefused("in", 1, 7);
    flow.update();
    expect(calls).toEqual(["pause 0,1"]);
    bounds.set(0, 10);
    bounds.set(1, 10);
    flow.update();
    expect(calls.at(-1)).toBe("resume 0@5,1@7");
  });
});
