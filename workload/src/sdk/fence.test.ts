import { FenceCut, FencePassed } from "@shadow/events";
import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import type { ControlEvent } from "../control/channel.ts";
import type { Mode, PartitionOffset, PendingOutput, WorkloadCounts } from "../types.ts";
import type { FenceBase, FenceHost } from "./fence-host.ts";
import { ShadowFence } from "./fence-shadow.ts";
import { SourceFence } from "./fence-source.ts";
import { HeldBack } from "./held-back.ts";
import type { Identity } from "./identity.ts";
import { Lock } from "./lock.ts";
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

/** A host with the real progress, buffer, pipeline and lock; produce and publish are recorded. */
class FakeHost implements FenceHost {
  readonly progress = new Progress();
  readonly held = new HeldBack(1_000);
  readonly sent: PendingOutput[] = [];
  readonly published: ControlEvent[] = [];
  readonly lock = new Lock();
  readonly counts = { discarded: 0, held: 0 } as WorkloadCounts;
  readonly log = pino({ level: "silent" });
  mode: Mode;
  fencing = false;
  flows = 0;
  commits = 0;
  clock = 1_000_000;
  epochValue = 0;
  /** When set, produce waits for this promise (an ack that takes its time). */
  ackGate: Promise<void> | undefined;
  readonly pipeline = new OutputPipeline({ retryBackoffMs: 1 });
  private readonly me: Identity;

  constructor(me: Identity, mode: Mode) {
    this.me = me;
    this.mode = mode;
    this.pipeline.setSender(async (batch) => {
      if (this.ackGate) await this.ackGate;
      this.sent.push(...batch);
    });
  }
  currentIdentity() {
    return this.me;
  }
  epoch() {
    return this.epochValue;
  }
  getMode() {
    return this.mode;
  }
  setMode(mode: Mode) {
    this.mode = mode;
  }
  setFencing(fencing: boolean) {
    this.fencing = fencing;
  }
  async publish(event: ControlEvent) {
    this.published.push(event);
    return true;
  }
  async commitNow() {
    this.commits += 1;
  }
  updateFlow() {
    this.flows += 1;
  }
  now() {
    return this.clock;
  }
  /** Processes a record the way the workload does: offset, then its one output routed. */
  process(shadow: ShadowFence | undefined, partition: number, offset: number): void {
    this.progress.record(T, partition, offset);
    const output = out(partition, offset);
    if (this.mode === "shadow" && shadow) {
      shadow.route([output]);
      shadow.checkPassed();
    } else this.pipeline.enqueue([output]);
  }
}

function out(partition: number, offset: number): PendingOutput {
  return {
    topic: "out",
    key: `k${partition}`,
    value: `${partition}:${offset}`,
    headers: {},
    input: { topic: T, partition, offset },
  };
}

function timing(fence: ShadowFence) {
  if (!fence.timing) throw new Error("no handover timing yet");
  return fence.timing;
}

const values = (outputs: PendingOutput[]) => outputs.map((o) => o.value);
const cutOf = (...offsets: number[]): PartitionOffset[] =>
  offsets.map((offset, partition) => ({ topic: T, partition, offset }));

const shadowId: Identity = {
  workload: "orders",
  instance: "orders-0-s",
  node: "node-b",
  role: "shadow",
  incarnation: 2,
  migrationId: "m-1",
};
const sourceId: Identity = {
  workload: "orders",
  instance: "orders-0",
  node: "node-a",
  role: "primary",
  incarnation: 1,
};

describe("shadow side of the fence", () => {
  let host: FakeHost;
  let fence: ShadowFence;
  const pausedAt = new Date(999_990).toISOString();
  const cutEvent = (cut: PartitionOffset[]) => ({ ...base, instance: "orders-0", cut, pausedAt });
  const passedEvent = (instance = "orders-0-s") => ({
    ...base,
    instance,
    cut: [],
    pausedAt,
    passedAt: new Date(1_000_000).toISOString(),
  });

  beforeEach(() => {
    host = new FakeHost(shadowId, "shadow");
    fence = new ShadowFence(host, () => "orders-0");
  });

  it("holds every output back while the cut is unknown", async () => {
    for (let offset = 0; offset < 5; offset++) host.process(fence, offset % 2, offset);
    await host.pipeline.flush();
    expect(host.sent).toEqual([]);
    expect(host.held.size).toBe(5);
  });

  it("drops what the source's committed progress covers, before the cut, and holds the rest", () => {
    for (let offset = 0; offset <= 3; offset++) host.process(fence, 0, offset);
    expect(fence.sourceProgressed(cutOf(1, 2))).toBe(2);
    expect(values([...host.held.peek()])).toEqual(["0:2", "0:3"]);
    // From here on, the outputs of records the source already committed are never held.
    for (let offset = 0; offset <= 3; offset++) host.process(fence, 1, offset);
    expect(values([...host.held.peek()])).toEqual(["0:2", "0:3", "1:3"]);
    expect(host.held.partitions().map((tp) => tp.partition)).toEqual([0, 1]);
    // Once the cut is known it alone decides: a later commit of the source changes nothing.
    fence.onCut(cutEvent(cutOf(2, 2)));
    expect(fence.sourceProgressed(cutOf(3, 3))).toBe(0);
    expect(values([...host.held.peek()])).toEqual(["0:3", "1:3"]);
  });

  it("drops held outputs at or below the cut per partition and keeps those beyond it", () => {
    for (let offset = 0; offset <= 5; offset++) host.process(fence, 0, offset);
    for (let offset = 0; offset <= 2; offset++) host.process(fence, 1, offset);
    fence.onCut(cutEvent(cutOf(3, 4, -1)));
    // Partition 0 is past its cut (4, 5 are ours), partition 1 is behind (3, 4 still to come).
    expect(values([...host.held.peek()])).toEqual(["0:4", "0:5"]);
    expect(timing(fence).discardedAtCut).toBe(7);
    expect(host.published).toEqual([]);
  });

  it("publishes FencePassed once past the cut everywhere, and switches only on reading it back", async () => {
    host.process(fence, 0, 0);
    fence.onCut(cutEvent(cutOf(2, 1)));
    host.process(fence, 0, 1);
    host.process(fence, 1, 0);
    host.process(fence, 0, 2);
    expect(host.published).toEqual([]);
    host.process(fence, 0, 3); // beyond the cut on 0: held, not ours to produce yet
    host.process(fence, 1, 1); // partition 1 reaches its cut: passed everywhere
    expect(host.published.map((e) => e.type)).toEqual([FencePassed.type]);
    const passed = host.published[0]?.data as {
      cut: PartitionOffset[];
      pausedAt: string;
      instance: string;
    };
    expect(passed.cut).toEqual(cutOf(2, 1));
    expect(passed.pausedAt).toBe(pausedAt);
    expect(passed.instance).toBe("orders-0-s");
    host.process(fence, 1, 2);
    fence.checkPassed();
    expect(host.published).toHaveLength(1);
    await host.pipeline.flush();
    expect(host.sent).toEqual([]);
    expect(host.mode).toBe("shadow");

    host.clock = 1_000_050;
    fence.onPassed(passedEvent());
    expect(host.mode).toBe("primary");
    await host.pipeline.flush();
    expect(values(host.sent)).toEqual(["0:3", "1:2"]);
    expect(timing(fence).handoverMs).toBe(1_000_050 - 999_990);
    expect(timing(fence).releasedAtSwitch).toBe(2);
  });

  it("passes at once when it is already beyond the cut, and treats -1 as nothing to wait for", () => {
    for (let offset = 0; offset <= 3; offset++) host.process(fence, 0, offset);
    fence.onCut(cutEvent(cutOf(1, -1)));
    expect(host.published.map((e) => e.type)).toEqual([FencePassed.type]);
    expect(values([...host.held.peek()])).toEqual(["0:2", "0:3"]);
  });

  it("ignores a FencePassed of another instance or another fence", () => {
    fence.onCut(cutEvent(cutOf(-1)));
    fence.onPassed(passedEvent("someone-else"));
    fence.onPassed({ ...passedEvent(), fenceId: "f-other" });
    expect(host.mode).toBe("shadow");
  });

  it("idles and drops everything on FenceAborted before it passed", async () => {
    host.process(fence, 0, 0);
    fence.onCut(cutEvent(cutOf(0)));
    host.process(fence, 0, 1);
    fence.onAborted({ ...base, reason: "rollback" });
    expect(host.mode).toBe("idle");
    expect(host.held.size).toBe(0);
    // Its FencePassed may still come back after the abort: the abort came first in the log.
    fence.onPassed(passedEvent());
    await host.pipeline.flush();
    expect(host.mode).toBe("idle");
    expect(host.sent).toEqual([]);
  });

  it("stays primary when the abort comes after its FencePassed in the log", () => {
    fence.onCut(cutEvent(cutOf(-1)));
    fence.onPassed(passedEvent());
    fence.onAborted({ ...base, reason: "late" });
    expect(host.mode).toBe("primary");
  });

  it("ignores a duplicate cut", () => {
    host.process(fence, 0, 0);
    fence.onCut(cutEvent(cutOf(5)));
    fence.onCut(cutEvent(cutOf(5)));
    expect(host.published).toEqual([]);
  });
});

describe("source side of the fence", () => {
  let host: FakeHost;
  let fence: SourceFence;

  beforeEach(() => {
    host = new FakeHost(sourceId, "primary");
    host.progress.assigned = [0, 1, 2].map((partition) => ({ topic: T, partition }));
    fence = new SourceFence(host);
  });

  it("pauses, lets the record in flight finish, waits for acks, then publishes the cut and idles", async () => {
    host.process(undefined, 0, 0);
    host.process(undefined, 1, 0);
    let ack!: () => void;
    host.ackGate = new Promise((resolve) => {
      ack = resolve;
    });
    // A record is in flight when the request comes.
    let finishRecord!: () => void;
    const inFlight = host.lock.runFor(
      "in#0",
      () =>
        new Promise<void>((resolve) => {
          finishRecord = () => {
            host.process(undefined, 0, 1);
            resolve();
          };
        }),
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    const fencing = fence.onRequested(base);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(host.fencing).toBe(true);
    expect(host.published).toEqual([]);
    finishRecord();
    await inFlight;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(host.published).toEqual([]); // outputs not acknowledged yet
    ack();
    await fencing;
    expect(values(host.sent)).toEqual(["0:0", "1:0", "0:1"]);
    expect(host.mode).toBe("fenced");
    expect(host.fencing).toBe(false);
    expect(host.commits).toBe(1);
    expect(host.published.map((e) => e.type)).toEqual([FenceCut.type]);
    const cut = host.published[0]?.data as {
      cut: PartitionOffset[];
      instance: string;
      pausedAt: string;
    };
    expect(cut.cut).toEqual(cutOf(1, 0, -1));
    expect(cut.instance).toBe("orders-0");
    expect(cut.pausedAt).toBe(new Date(1_000_000).toISOString());
  });

  it("answers a replayed request with the same cut", async () => {
    host.process(undefined, 2, 7);
    await fence.onRequested(base);
    await fence.onRequested(base);
    expect(host.published).toHaveLength(2);
    expect(host.published[1]?.data).toEqual(host.published[0]?.data);
  });

  it("resumes from its cut on FenceAborted", async () => {
    await fence.onRequested(base);
    fence.onAborted({ ...base, reason: "shadow died" });
    expect(host.mode).toBe("primary");
    expect(fence.status?.aborted).toBe(true);
  });

  it("stays fenced when the shadow's FencePassed came before the abort", async () => {
    await fence.onRequested(base);
    fence.onPassed({
      ...base,
      instance: "orders-0-s",
      cut: [],
      pausedAt: "2026-01-01T00:00:00.000Z",
      passedAt: "2026-01-01T00:00:00.000Z",
    });
    fence.onAborted({ ...base, reason: "late" });
    expect(host.mode).toBe("fenced");
  });

  it("ignores a request while it is not primary", async () => {
    host.mode = "shadow";
    await fence.onRequested(base);
    expect(host.published).toEqual([]);
    expect(host.mode).toBe("shadow");
  });
});
