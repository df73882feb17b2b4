import { deadLetterHeaders } from "@shadow/workload";
import { describe, expect, it } from "vitest";
import type { InputMessage, OutputMessage } from "../messages.ts";
import { verify } from "./analyze.ts";
import type { RunRecords, TopicRecord } from "./records.ts";

const KEYS = 4;
const T0 = 1_700_000_000_000;

/** n inputs, one every 10 ms, keys round-robin; partition = key index. */
function inputs(n: number, run = "r1"): { records: TopicRecord[]; messages: InputMessage[] } {
  const keySeqs = new Array(KEYS).fill(0);
  const messages: InputMessage[] = [];
  const records: TopicRecord[] = [];
  for (let seq = 0; seq < n; seq++) {
    const k = seq % KEYS;
    const message: InputMessage = {
      run,
      seq,
      key: `k${k}`,
      keySeq: keySeqs[k]++,
      sentAt: T0 + seq * 10,
      amount: 1,
    };
    messages.push(message);
    records.push(record("in", k, Math.floor(seq / KEYS), JSON.stringify(message), message.sentAt));
  }
  return { records, messages };
}

function record(
  topic: string,
  partition: number,
  offset: number,
  value: string,
  timestamp: number,
  headers: Record<string, string> = {},
): TopicRecord {
  return { topic, partition, offset, key: null, value: Buffer.from(value), headers, timestamp };
}

/**
 * Outputs in the given order (per key partition), each visible `latency` ms after send and
 * processed `processing` ms after send (by default 1 ms before it is visible).
 */
function outputs(
  messages: InputMessage[],
  latency: (m: InputMessage) => number = () => 5,
  processing: (m: InputMessage) => number = (m) => latency(m) - 1,
): TopicRecord[] {
  const offsets = new Array(KEYS).fill(0);
  return messages.map((m, i) => {
    const k = Number(m.key.slice(1));
    const out: OutputMessage = {
      run: m.run,
      seq: m.seq,
      key: m.key,
      keySeq: m.keySeq,
      sentAt: m.sentAt,
      processedAt: m.sentAt + processing(m),
      instance: i % 2 ? "a" : "b",
      outSeq: i + 1,
      outKeySeq: m.keySeq + 1,
      balance: 0,
    };
    return record("out", k, offsets[k]++, JSON.stringify(out), m.sentAt + latency(m));
  });
}

/** Latency of an input answered at 1400 ms after T0 if sent in [1000, 1400) ms; 5 ms otherwise. */
const answeredAt1400 = (m: InputMessage) => {
  const sent = m.sentAt - T0;
  return sent >= 1000 && sent < 1400 ? 1400 - sent : 5;
};

const run = (records: Partial<RunRecords>): RunRecords => ({
  inputs: [],
  outputs: [],
  deadLetters: [],
  ...records,
});

describe("verifier", () => {
  it("passes a clean run and measures latency", () => {
    const { records, messages } = inputs(100);
    const report = verify(run({ inputs: records, outputs: outputs(messages) }));
    expect(report.ok).toBe(true);
    expect(report.lost.count + report.duplicated.count + report.reordered.count).toBe(0);
    expect(report.outputs.distinct).toBe(100);
    expect(report.latency.all.p50).toBe(5);
    expect(report.latency.all.max).toBe(5);
    // Each input waits 4 ms to be processed by a copy that is up: a gap, not downtime.
    expect(report.processingGap.longest.ms).toBe(4);
    expect(report.downtime.longest.ms).toBe(0);
    expect(report.stall.longest.ms).toBe(5);
  });

  it("catches lost messages, per key", () => {
    const { records, messages } = inputs(40);
    const kept = messages.filter((m) => m.seq !== 9 && m.seq !== 13 && m.seq !== 22);
    const report = verify(run({ inputs: records, outputs: outputs(kept) }));
    expect(report.ok).toBe(false);
    expect(report.lost.count).toBe(3);
    expect(report.lost.byKey).toEqual({ k1: [2, 3], k2: [5] });
  });

  it("catches duplicates, and does not count a duplicate as reordered", () => {
    const { records, messages } = inputs(20);
    const withDuplicates = [
      ...messages.slice(0, 10),
      ...messages.slice(5, 7),
      ...messages.slice(10),
    ];
    const report = verify(run({ inputs: records, outputs: outputs(withDuplicates) }));
    expect(report.duplicated.count).toBe(2);
    expect(report.duplicated.byKey).toEqual({ k1: [1], k2: [1] });
    expect(report.reordered.count).toBe(0);
    expect(report.lost.count).toBe(0);
    expect(report.ok).toBe(false);
  });

  it("catches reordering within a key", () => {
    const { records, messages } = inputs(20);
    // seq 4 and 8 are k0's keySeq 1 and 2: emit 2 before 1.
    const order = messages.map((_, i) => (i === 4 ? 8 : i === 8 ? 4 : i));
    const swapped = order.flatMap((i) => messages.slice(i, i + 1));
    const report = verify(run({ inputs: records, outputs: outputs(swapped) }));
    expect(report.reordered.count).toBe(1);
    expect(report.reordered.byKey).toEqual({ k0: [1] });
    expect(report.lost.count + report.duplicated.count).toBe(0);
    expect(report.ok).toBe(false);
  });

  it("finds the gap: a stretch with input waiting and nothing output, and the extra delay", () => {
    const { records, messages } = inputs(200);
    // Inputs sent in [1000, 1400) ms wait until 1400 ms after T0: a 400 ms stall at 1000.
    const window = { start: T0 + 900, end: T0 + 1500 };
    const report = verify(run({ inputs: records, outputs: outputs(messages, answeredAt1400) }), {
      window,
    });
    expect(report.ok).toBe(true);
    // Nothing was processed from 1000 to 1399 ms, nor output until 1400 ms.
    expect(report.processingGap.longest).toEqual({ ms: 399, from: T0 + 1000, to: T0 + 1399 });
    expect(report.processingGap.steadyMs).toBe(4);
    expect(report.processingGap.beyondSteadyMs).toBe(395);
    // Both copies processed before and after the gap: they were up, slow, not down.
    expect(report.downtime.longest.ms).toBe(0);
    expect(report.stall.longest).toEqual({ ms: 400, from: T0 + 1000, to: T0 + 1400 });
    expect(report.stall.steadyMs).toBe(5);
    expect(report.stall.beyondSteadyMs).toBe(395);
    expect(report.steadyP99Ms).toBe(5);
    expect(report.latency.during?.max).toBe(400);
    expect(report.maxExtraDelayMs).toBe(395);
    // The input behind it: the first of the stall, answered when the stall ended.
    expect(report.maxDelayed).toEqual({ sentAt: T0 + 1000, answeredAt: T0 + 1400 });
    expect(report.latency.after?.max).toBe(5);
  });

  it("leaves a checkpoint's freeze out of the processing gap, and keeps it in the stall", () => {
    const { records, messages } = inputs(200);
    const window = { start: T0 + 900, end: T0 + 1500 };
    // The instance was frozen from 1000 to 1380 ms: 19 ms of the wait is not the freeze.
    const pauses = [{ from: T0 + 1000, to: T0 + 1380 }];
    const report = verify(run({ inputs: records, outputs: outputs(messages, answeredAt1400) }), {
      window,
      pauses,
    });
    expect(report.processingGap.longest).toEqual({
      ms: 19,
      from: T0 + 1000,
      to: T0 + 1399,
      pausedMs: 380,
    });
    expect(report.processingGap.beyondSteadyMs).toBe(15);
    expect(report.stall.longest.ms).toBe(400);
    expect(report.stall.beyondSteadyMs).toBe(395);
    // The delay is the delay, freeze or not.
    expect(report.maxExtraDelayMs).toBe(395);
  });

  /**
   * 300 inputs with a migration window at 2000..2600 ms, processed 4 ms after sending except
   * those sent in each hiccup's [from, until), which wait until `until` + 4 ms.
   */
  function verifyWithHiccups(...hiccups: [from: number, until: number][]) {
    const { records, messages } = inputs(300);
    const processing = (m: InputMessage) => {
      const sent = m.sentAt - T0;
      const hiccup = hiccups.find(([from, until]) => sent >= from && sent < until);
      return hiccup ? hiccup[1] + 4 - sent : 4;
    };
    return verify(
      run({ inputs: records, outputs: outputs(messages, (m) => processing(m) + 1, processing) }),
      { window: { start: T0 + 2_000, end: T0 + 2_600 } },
    );
  }

  it("seeks the gap from the migration on, and weighs it against the steady state's longest", () => {
    // A 64 ms hiccup in the steady state (300..364), a 44 ms one during the migration.
    const report = verifyWithHiccups([300, 360], [2_100, 2_140]);
    expect(report.processingGap.longest).toEqual({ ms: 44, from: T0 + 2_100, to: T0 + 2_144 });
    expect(report.processingGap.steadyMs).toBe(4);
    expect(report.processingGap.beyondSteadyMs).toBe(40);
    expect(report.processingGap.steadyLongestMs).toBe(64);
    expect(report.processingGap.beyondSteadyLongestMs).toBe(0);
  });

  it("reports what a migration's gap lasts beyond the steady state's longest", () => {
    const report = verifyWithHiccups([300, 360], [2_100, 2_200]);
    expect(report.processingGap.longest.ms).toBe(104);
    expect(report.processingGap.beyondSteadyMs).toBe(100);
    expect(report.processingGap.beyondSteadyLongestMs).toBe(40);
  });

  /**
   * 200 inputs, one every 10 ms: the source (orders-0 on node-a) processes those sent before
   * 1000 ms, 4 ms after sending; the target processes the rest, those sent before it started
   * at `startsAt` ms when it starts and each one after it 4 ms after sending.
   */
  function handover(target: { instance: string; node: string; startsAt: number }) {
    const { records, messages } = inputs(200);
    const processing = (m: InputMessage) => {
      const sent = m.sentAt - T0;
      return sent < 1000 ? 4 : Math.max(target.startsAt + 1, sent + 4) - sent;
    };
    const placed = outputs(messages, (m) => processing(m) + 1, processing).map((r) => {
      const out = JSON.parse(String(r.value)) as OutputMessage;
      const before = out.sentAt - T0 < 1000;
      const copy = before ? { instance: "orders-0", node: "node-a" } : target;
      const value = JSON.stringify({ ...out, instance: copy.instance, node: copy.node });
      return { ...r, value: Buffer.from(value) };
    });
    return { records, placed };
  }

  it("finds downtime where no copy was consuming: the source stopped, the target not yet up", () => {
    // Sequential: the source's last processing at 994 ms, orders-0 on node-b's first at 1301.
    const { records, placed } = handover({ instance: "orders-0", node: "node-b", startsAt: 1300 });
    const window = { start: T0 + 900, end: T0 + 1500 };
    const report = verify(run({ inputs: records, outputs: placed }), { window });
    expect(report.ok).toBe(true);
    // Waiting from the first input after the source's last (sent at 1000 ms) to 1301 ms.
    expect(report.downtime.longest).toEqual({ ms: 301, from: T0 + 1000, to: T0 + 1301 });
    expect(report.downtime.spans.map((s) => [s.copy, s.processed])).toEqual([
      ["orders-0@node-a", 100],
      ["orders-0@node-b", 100],
    ]);
    // The source's freeze from 990 to 1200 ms is left out.
    const frozen = verify(run({ inputs: records, outputs: placed }), {
      window,
      pauses: [{ from: T0 + 990, to: T0 + 1200 }],
    });
    expect(frozen.downtime.longest).toEqual({
      ms: 101,
      from: T0 + 1000,
      to: T0 + 1301,
      pausedMs: 200,
    });
  });

  it("counts a shadow as consuming from its caught-up report, before its first output", () => {
    // The shadow publishes nothing up to the cut: its first output is at 1030 ms.
    const { records, placed } = handover({ instance: "shadow", node: "node-b", startsAt: 1030 });
    const window = { start: T0 + 900, end: T0 + 1500 };
    const unreported = verify(run({ inputs: records, outputs: placed }), { window });
    expect(unreported.downtime.longest.ms).toBe(31);
    const report = verify(run({ inputs: records, outputs: placed }), {
      window,
      consuming: [{ copy: "shadow@node-b", since: T0 + 950 }],
    });
    expect(report.downtime.longest.ms).toBe(0);
    expect(report.downtime.spans[1]).toEqual({
      copy: "shadow@node-b",
      from: T0 + 950,
      to: T0 + 1994,
      processed: 100,
    });
    // A report of a copy that processed nothing makes no span.
    const stray = verify(run({ inputs: records, outputs: placed }), {
      window,
      consuming: [{ copy: "elsewhere@node-c", since: T0 + 950 }],
    });
    expect(stray.downtime.longest.ms).toBe(31);
    expect(stray.downtime.spans).toHaveLength(2);
  });

  it("counts inputs processed on time but output late (held until a cut) as consumed", () => {
    const { records, messages } = inputs(200);
    // Inputs sent in [1000, 1400) ms are processed 4 ms after sending, but their outputs are
    // held back until 1400 ms: nobody waited unconsumed, the outputs' readers saw a stall.
    const report = verify(
      run({ inputs: records, outputs: outputs(messages, answeredAt1400, () => 4) }),
      {
        window: { start: T0 + 900, end: T0 + 1500 },
      },
    );
    expect(report.ok).toBe(true);
    expect(report.processingGap.beyondSteadyMs).toBe(0);
    expect(report.downtime.longest.ms).toBe(0);
    expect(report.stall.beyondSteadyMs).toBe(395);
  });

  it("counts dead letters against the invalid inputs", () => {
    const { records, messages } = inputs(8);
    const bad = [
      record("in", 0, 100, "not json", T0),
      record("in", 1, 100, '{"key":"x"}', T0),
      record("in", 2, 100, "{}", T0),
    ];
    const dlq = (partition: number, offset: number) =>
      record("dlq", 0, 0, "x", T0, {
        [deadLetterHeaders.sourceTopic]: "in",
        [deadLetterHeaders.sourcePartition]: String(partition),
        [deadLetterHeaders.sourceOffset]: String(offset),
      });
    const clean = verify(
      run({
        inputs: [...records, ...bad],
        outputs: outputs(messages),
        deadLetters: [dlq(0, 100), dlq(1, 100), dlq(2, 100)],
      }),
    );
    expect(clean.inputs).toEqual({ valid: 8, invalid: 3 });
    expect(clean.deadLetters).toMatchObject({ count: 3, expected: 3, missing: 0, duplicated: 0 });
    expect(clean.ok).toBe(true);

    const broken = verify(
      run({
        inputs: [...records, ...bad],
        outputs: outputs(messages),
        deadLetters: [dlq(0, 100), dlq(0, 100), dlq(3, 0)],
      }),
    );
    expect(broken.deadLetters).toMatchObject({ missing: 2, duplicated: 1, ofValidInputs: 1 });
    expect(broken.ok).toBe(false);

    // Without the dead-letter topic, invalid inputs are reported but not expected anywhere.
    const unread = verify(run({ inputs: [...records, ...bad], outputs: outputs(messages) }), {
      checkDeadLetters: false,
    });
    expect(unread.deadLetters).toMatchObject({ checked: false, expected: 3, missing: 0 });
    expect(unread.ok).toBe(true);
  });

  it("keeps to one run when told, and flags outputs without an input", () => {
    const first = inputs(8, "r1");
    const second = inputs(8, "r2");
    const report = verify(
      run({ inputs: [...first.records, ...second.records], outputs: outputs(first.messages) }),
      { run: "r1" },
    );
    expect(report.ok).toBe(true);
    expect(report.runs).toEqual(["r1", "r2"]);
    const stray = verify(
      run({ inputs: first.records.slice(0, 4), outputs: outputs(first.messages) }),
    );
    expect(stray.outputs.unexpected).toBe(4);
    expect(stray.ok).toBe(false);
  });
});
