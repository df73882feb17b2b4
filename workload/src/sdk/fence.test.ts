import { type DataOf, FenceAborted, FenceCut, FencePassed } from "@shadow/events";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ControlEvent } from "../control/channel.ts";
import type { PartitionOffset, PendingOutput, WorkloadCounts } from "../types.ts";
import { HeldBack } from "./held-back.ts";
import type { Identity } from "./identity.ts";
import { Lock } from "./lock.ts";
import type { FenceBase } from "./mode/fence-base.ts";
import { type ModeResources, ModeRunner, type ModeRunnerOptions } from "./mode/runner.ts";
import { initialState, type ModeState } from "./mode/state.ts";
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

/**
 * The machine with the real progress, buffer, pipeline and lock its effects act on; produce
 * and publish are recorded.
 */
class FakeHost implements ModeResources {
  readonly progress = new Progress();
  readonly held = new HeldBack(1_000);
  readonly sent: PendingOutput[] = [];
  readonly published: ControlEvent[] = [];
  readonly lock = new Lock();
  readonly counts = { discarded: 0, held: 0 } as WorkloadCounts;
  readonly silent = pino({ level: "silent" });
  readonly runner: ModeRunner;
  flows = 0;
  commits = 0;
  clock = 1_000_000;
  /** When set, produce waits for this promise (an ack that takes its time). */
  ackGate: Promise<void> | undefined;
  readonly pipeline = new OutputPipeline({ retryBackoffMs: 1 });
  private readonly me: Identity;

  constructor(
    me: Identity,
    state: ModeState = initialState(me, "orders-0"),
    options: ModeRunnerOptions = {},
  ) {
    this.me = me;
    this.runner = new ModeRunner(this, state, options);
    this.pipeline.setSender(async (batch) => {
      if (this.ackGate) await this.ackGate;
      this.sent.push(...batch);
    });
  }
  get mode() {
    return this.runner.mode;
  }
  get fencing() {
    return this.runner.fencing;
  }
  identity() {
    return this.me;
  }
  log() {
    return this.silent;
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
  process(partition: number, offset: number): void {
    this.progress.record(T, partition, offset);
    this.runner.route([out(partition, offset)]);
    void this.runner.feed({ type: "record-processed" });
  }
}

/** The fence events as the control log delivers them to the machine. */
const fence = {
  requested: (runner: ModeRunner, data: FenceBase) =>
    runner.feed({ type: "fence-requested", data, trace: {} }),
  cut: (runner: ModeRunner, data: ReturnType<typeof cutData>) =>
    runner.feed({ type: "fence-cut", data, trace: {} }),
  passed: (runner: ModeRunner, data: DataOf<typeof FencePassed>) =>
    runner.feed({ type: "fence-passed", data }),
  aborted: (runner: ModeRunner, data: DataOf<typeof FenceAborted>) =>
    runner.feed({ type: "fence-aborted", data }),
};

function cutData(cut: PartitionOffset[], pausedAt: string) {
  return { ...base, instance: "orders-0", cut, pausedAt };
}

/** How many held outputs the source's committed progress drops. */
function sourceProgressed(host: FakeHost, positions: PartitionOffset[]): number {
  const before = host.counts.discarded;
  void host.runner.feed({ type: "source-progress", positions });
  return host.counts.discarded - before;
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

function timing(host: FakeHost) {
  const handover = host.runner.state.handover;
  if (!handover) throw new Error("no handover timing yet");
  return handover;
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
  let runner: ModeRunner;
  const pausedAt = new Date(999_990).toISOString();
  const cutEvent = (cut: PartitionOffset[]) => cutData(cut, pausedAt);
  const passedEvent = (instance = "orders-0-s") => ({
    ...base,
    instance,
    cut: [],
    pausedAt,
    passedAt: new Date(1_000_000).toISOString(),
  });

  beforeEach(() => {
    host = new FakeHost(shadowId);
    runner = host.runner;
  });

  it("holds every output back while the cut is unknown", async () => {
    for (let offset = 0; offset < 5; offset++) host.process(offset % 2, offset);
    await host.pipeline.flush();
    expect(host.sent).toEqual([]);
    expect(host.held.size).toBe(5);
  });

  it("drops what the source's committed progress covers, before the cut, and holds the rest", () => {
    for (let offset = 0; offset <= 3; offset++) host.process(0, offset);
    expect(sourceProgressed(host, cutOf(1, 2))).toBe(2);
    expect(values([...host.held.peek()])).toEqual(["0:2", "0:3"]);
    // From here on, the outputs of records the source already committed are never held.
    for (let offset = 0; offset <= 3; offset++) host.process(1, offset);
    expect(values([...host.held.peek()])).toEqual(["0:2", "0:3", "1:3"]);
    expect(host.held.partitions().map((tp) => tp.partition)).toEqual([0, 1]);
    // Once the cut is known it alone decides: a later commit of the source changes nothing.
    fence.cut(runner, cutEvent(cutOf(2, 2)));
    expect(sourceProgressed(host, cutOf(3, 3))).toBe(0);
    expect(values([...host.held.peek()])).toEqual(["0:3", "1:3"]);
  });

  it("drops held outputs at or below the cut per partition and keeps those beyond it", () => {
    for (let offset = 0; offset <= 5; offset++) host.process(0, offset);
    for (let offset = 0; offset <= 2; offset++) host.process(1, offset);
    fence.cut(runner, cutEvent(cutOf(3, 4, -1)));
    // Partition 0 is past its cut (4, 5 are ours), partition 1 is behind (3, 4 still to come).
    expect(values([...host.held.peek()])).toEqual(["0:4", "0:5"]);
    expect(timing(host).discardedAtCut).toBe(7);
    expect(host.published).toEqual([]);
  });

  it("publishes FencePassed once past the cut everywhere, and switches only on reading it back", async () => {
    host.process(0, 0);
    fence.cut(runner, cutEvent(cutOf(2, 1)));
    host.process(0, 1);
    host.process(1, 0);
    host.process(0, 2);
    expect(host.published).toEqual([]);
    host.process(0, 3); // beyond the cut on 0: held, not ours to produce yet
    host.process(1, 1); // partition 1 reaches its cut: passed everywhere
    expect(host.published.map((e) => e.type)).toEqual([FencePassed.type]);
    const passed = host.published[0]?.data as {
      cut: PartitionOffset[];
      pausedAt: string;
      instance: string;
    };
    expect(passed.cut).toEqual(cutOf(2, 1));
    expect(passed.pausedAt).toBe(pausedAt);
    expect(passed.instance).toBe("orders-0-s");
    host.process(1, 2);
    void runner.feed({ type: "record-processed" });
    expect(host.published).toHaveLength(1);
    await host.pipeline.flush();
    expect(host.sent).toEqual([]);
    expect(host.mode).toBe("shadow");

    host.clock = 1_000_050;
    fence.passed(runner, passedEvent());
    expect(host.mode).toBe("primary");
    await host.pipeline.flush();
    expect(values(host.sent)).toEqual(["0:3", "1:2"]);
    expect(timing(host).handoverMs).toBe(1_000_050 - 999_990);
    expect(timing(host).releasedAtSwitch).toBe(2);
  });

  it("passes at once when it is already beyond the cut, and treats -1 as nothing to wait for", () => {
    for (let offset = 0; offset <= 3; offset++) host.process(0, offset);
    fence.cut(runner, cutEvent(cutOf(1, -1)));
    expect(host.published.map((e) => e.type)).toEqual([FencePassed.type]);
    expect(values([...host.held.peek()])).toEqual(["0:2", "0:3"]);
  });

  it("ignores a FencePassed of another instance or another fence", () => {
    fence.cut(runner, cutEvent(cutOf(-1)));
    fence.passed(runner, passedEvent("someone-else"));
    fence.passed(runner, { ...passedEvent(), fenceId: "f-other" });
    expect(host.mode).toBe("shadow");
  });

  it("idles and drops everything on FenceAborted before it passed", async () => {
    host.process(0, 0);
    fence.cut(runner, cutEvent(cutOf(0)));
    host.process(0, 1);
    fence.aborted(runner, { ...base, reason: "rollback" });
    expect(host.mode).toBe("idle");
    expect(host.held.size).toBe(0);
    // Its FencePassed may still come back after the abort: the abort came first in the log.
    fence.passed(runner, passedEvent());
    await host.pipeline.flush();
    expect(host.mode).toBe("idle");
    expect(host.sent).toEqual([]);
  });

  it("stays primary when the abort comes after its FencePassed in the log", () => {
    fence.cut(runner, cutEvent(cutOf(-1)));
    fence.passed(runner, passedEvent());
    fence.aborted(runner, { ...base, reason: "late" });
    expect(host.mode).toBe("primary");
  });

  it("ignores a duplicate cut", () => {
    host.process(0, 0);
    fence.cut(runner, cutEvent(cutOf(5)));
    fence.cut(runner, cutEvent(cutOf(5)));
    expect(host.published).toEqual([]);
  });
});

describe("source side of the fence", () => {
  let host: FakeHost;
  let runner: ModeRunner;

  beforeEach(() => {
    host = new FakeHost(sourceId);
    host.progress.assigned = [0, 1, 2].map((partition) => ({ topic: T, partition }));
    runner = host.runner;
  });

  it("pauses, lets the record in flight finish, waits for acks, then publishes the cut and idles", async () => {
    host.process(0, 0);
    host.process(1, 0);
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
            host.process(0, 1);
            resolve();
          };
        }),
    );
    await turns();
    const fencing = fence.requested(runner, base);
    await turns();
    expect(host.fencing).toBe(true);
    expect(host.published).toEqual([]);
    finishRecord();
    await inFlight;
    // Whatever the fence could do without the acknowledgement, it has done by now.
    await turns(20);
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
    host.process(2, 7);
    await fence.requested(runner, base);
    await fence.requested(runner, base);
    expect(host.published).toHaveLength(2);
    expect(host.published[1]?.data).toEqual(host.published[0]?.data);
  });

  it("resumes from its cut on FenceAborted", async () => {
    await fence.requested(runner, base);
    fence.aborted(runner, { ...base, reason: "shadow died" });
    expect(host.mode).toBe("primary");
    expect(runner.state.sourceFence?.aborted).toBe(true);
  });

  it("stays fenced when the shadow's FencePassed came before the abort", async () => {
    await fence.requested(runner, base);
    fence.passed(runner, {
      ...base,
      instance: "orders-0-s",
      cut: [],
      pausedAt: "2026-01-01T00:00:00.000Z",
      passedAt: "2026-01-01T00:00:00.000Z",
    });
    fence.aborted(runner, { ...base, reason: "late" });
    expect(host.mode).toBe("fenced");
  });

  it("ignores a request while it is not primary", async () => {
    host = new FakeHost(sourceId, {
      ...initialState(sourceId),
      phase: { name: "shadow", sourceProgress: undefined },
    });
    runner = host.runner;
    await fence.requested(runner, base);
    expect(host.published).toEqual([]);
    expect(host.mode).toBe("shadow");
  });
});

describe("a fenced source's deadline", () => {
  let host: FakeHost;
  let runner: ModeRunner;
  const aborts = () =>
    host.published.filter(
      (e): e is Extract<ControlEvent, { type: typeof FenceAborted.type }> =>
        e.type === FenceAborted.type,
    );
  /** Its own FenceAborted, as the control log delivers it back. */
  const readBack = () => {
    const own = aborts()[0];
    if (!own) throw new Error("no FenceAborted published");
    return fence.aborted(runner, own.data);
  };

  beforeEach(() => {
    vi.useFakeTimers();
    host = new FakeHost(sourceId, initialState(sourceId), { fenceDeadlineMs: 1_000 });
    runner = host.runner;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("aborts its own fence through the log after the deadline, and resumes only on reading it back", async () => {
    host.process(0, 4);
    await fence.requested(runner, base);
    expect(host.mode).toBe("fenced");
    vi.advanceTimersByTime(999);
    expect(aborts()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(aborts()).toHaveLength(1);
    expect(aborts()[0]?.data).toMatchObject({ fenceId: "f-1", migrationId: "m-1" });
    expect(aborts()[0]?.data.reason).toMatch(/^fence deadline: /);
    // Published is not read back: it stays fenced, and asks again a deadline later.
    expect(host.mode).toBe("fenced");
    vi.advanceTimersByTime(1_000);
    expect(aborts()).toHaveLength(2);
    await readBack();
    expect(host.mode).toBe("primary");
    expect(runner.state.sourceFence).toMatchObject({ aborted: true, cut: cutOf(4) });
    vi.advanceTimersByTime(5_000);
    expect(aborts()).toHaveLength(2);
  });

  it("stays silent when its shadow's FencePassed comes before its own abort in the log", async () => {
    await fence.requested(runner, base);
    vi.advanceTimersByTime(1_000);
    expect(aborts()).toHaveLength(1);
    await fence.passed(runner, {
      ...base,
      instance: "orders-0-s",
      cut: [],
      pausedAt: "2026-01-01T00:00:00.000Z",
      passedAt: "2026-01-01T00:00:00.000Z",
    });
    await readBack();
    expect(host.mode).toBe("fenced");
    expect(runner.phase).toBe("handed-over");
    vi.advanceTimersByTime(5_000);
    expect(aborts()).toHaveLength(1);
  });

  it("never fires once the fence was resolved in time", async () => {
    await fence.requested(runner, base);
    await fence.aborted(runner, { ...base, reason: "rollback" });
    expect(host.mode).toBe("primary");
    vi.advanceTimersByTime(5_000);
    expect(aborts()).toEqual([]);
  });
});

/** Lets `n` turns of the event loop pass (no clock involved): pending callbacks run. */
async function turns(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}
