import { Writable } from "node:stream";
import type { Identity } from "@shadow/contract";
import { FenceAborted, FenceCut, FencePassed, FenceRequested, topicOffsets } from "@shadow/events";
import {
  createWorkload,
  decodeControl,
  type ServiceDefinition,
  type Workload,
  type WorkloadOptions,
} from "@shadow/workload";
import { type Kafka, type KafkaMessage, Partitioners, type Producer } from "kafkajs";
import pino from "pino";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import {
  brokers,
  ControlDriver,
  createRunTopics,
  deleteGroupsOf,
  deleteTopics,
  eventually,
  type Fence,
  fenceFor,
  handoffIdentities,
  IdentityFiles,
  type RunTopics,
  randomName,
  testKafka,
} from "./support.ts";

/**
 * No old fence event can stop a workload: a finished migration's FenceRequested replayed byte
 * for byte (or re-emitted under a new id) at the primary it names, or at the copy that holds its
 * name on another node after an identity swap, is refused, and the primary keeps processing; a
 * fence nobody ends is aborted by the source itself after its deadline, through the log.
 */
const WORKLOAD = "ledger";
let kafka: Kafka;

beforeAll(() => {
  kafka = testKafka();
});

/** Counts records; one output each. */
const counter: ServiceDefinition<{ n: number }> = {
  stateAcrossPartitions: "commutative",
  initialState: () => ({ n: 0 }),
  handle(state, record) {
    state.n += 1;
    return [{ key: record.key, value: String(state.n) }];
  },
};

interface Copy {
  workload: Workload<{ n: number }>;
  /** The copy's log lines, parsed. */
  logs: { msg: string; reason?: string; migrationId?: string }[];
}

interface Run {
  topics: RunTopics;
  files: IdentityFiles;
  driver: ControlDriver;
  start(
    identity: Identity,
    name: string,
    extra?: Partial<WorkloadOptions<{ n: number }>>,
  ): Promise<Copy>;
}

async function setUp(): Promise<Run> {
  const topics = await createRunTopics(kafka, 2);
  const files = new IdentityFiles();
  const driver = await ControlDriver.start(kafka, topics.control);
  const copies: Workload<{ n: number }>[] = [];
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const feeding = feed(producer, topics.input);
  onTestFinished(async () => {
    feeding.stop();
    await feeding.done;
    for (const copy of copies) await copy.stop().catch(() => undefined);
    await producer.disconnect();
    await driver.stop();
    await deleteTopics(kafka, topics.all);
    await deleteGroupsOf(kafka, files.written, [driver.groupId]);
    files.remove();
  });
  return {
    topics,
    files,
    driver,
    async start(identity, name, extra = {}) {
      const logs: Copy["logs"] = [];
      const sink = new Writable({
        write(chunk, _encoding, done) {
          for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
          done();
        },
      });
      const workload = createWorkload({
        service: counter,
        brokers: brokers(),
        inputTopics: [topics.input],
        outputTopic: topics.output,
        deadLetterTopic: topics.dlq,
        controlTopic: topics.control,
        identityPath: files.write(name, identity),
        log: pino({ name, level: "info" }, sink),
        consumer: { sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 50 },
        ...extra,
      });
      copies.push(workload);
      await workload.start();
      await eventually(`${name} ready`, () => {
        const status = workload.status();
        return status.inputReady && status.controlReady && status.assigned.length > 0;
      });
      const copy = { workload, logs };
      await readingControl(driver, copy, identity);
      return copy;
    },
  };
}

/** Input at about 50 records a second until stopped, so a copy that consumes keeps processing. */
function feed(producer: Producer, topic: string): { stop(): void; done: Promise<void> } {
  let running = true;
  const done = (async () => {
    for (let seq = 0; running; seq++) {
      await producer.send({ topic, messages: [{ key: `k${seq % 5}`, value: String(seq) }] });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: () => {
      running = false;
    },
    done,
  };
}

/** The control topic's records as stored, to replay one byte for byte. */
async function rawControl(topic: string): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: randomName("raw-control"), maxWaitTimeInMs: 50 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const admin = kafka.admin();
    await admin.connect();
    const end = await topicOffsets(admin, topic);
    await admin.disconnect();
    const last = Math.max(...end.map((p) => Number(p.high))) - 1;
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
      },
    });
    await eventually("the control log read", () => messages.some((m) => Number(m.offset) >= last));
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Produces the stored FenceRequested of `fence` again: same key, value and headers. */
async function replayRequest(run: Run, fence: Fence): Promise<void> {
  const original = (await rawControl(run.topics.control)).find((message) => {
    const decoded = decodeControl(message);
    return (
      decoded.ok &&
      decoded.event.type === FenceRequested.type &&
      decoded.event.data.fenceId === fence.base.fenceId
    );
  });
  if (!original) throw new Error("the FenceRequested to replay is not in the log");
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({
      topic: run.topics.control,
      acks: -1,
      messages: [{ key: original.key, value: original.value, headers: original.headers }],
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Waits until the copy reads what is published on the control log now. A primary reads it from
 * its start, and its consumer settles where "now" is at its first fetch, after the group join:
 * an event published in between is not read. A probe naming this instance on a node it is not
 * on is refused in a log line once read; probes are sent until one is.
 */
async function readingControl(driver: ControlDriver, copy: Copy, me: Identity): Promise<void> {
  const probe = fenceFor(WORKLOAD, { ...me, node: "node-z" }, me, randomName("probe"));
  await eventually(
    "the control log read",
    async () => {
      if (copy.logs.some((l) => l.migrationId === probe.migrationId)) return true;
      await driver.requestFence(probe);
      await new Promise((resolve) => setTimeout(resolve, 250));
      return copy.logs.some((l) => l.migrationId === probe.migrationId);
    },
    15_000,
  );
}

/** Waits until the copy refused a FenceRequested of `migrationId` and says why. */
function refusal(copy: Copy, migrationId: string): Promise<string> {
  return eventually(`a refusal of ${migrationId}`, () => {
    const line = copy.logs.find(
      (l) => l.msg === "FenceRequested refused" && l.migrationId === migrationId,
    );
    return line?.reason;
  });
}

/** Processes on: consuming, not fenced, and its count grows while input keeps coming. */
async function keepsProcessing(copy: Copy): Promise<void> {
  const status = copy.workload.status();
  expect(status.mode).toBe("primary");
  expect(status.fencing).toBe(false);
  const before = status.counts.processed;
  await eventually(
    "processing on",
    () => copy.workload.status().counts.processed >= before + 20,
    10_000,
  );
  expect(copy.workload.status().paused).toBe(false);
}

describe("a stale fence never stops a primary", () => {
  it("refuses a rolled-back migration's FenceRequested, replayed byte for byte or re-emitted", async () => {
    const run = await setUp();
    const { source: sourceId, shadow: shadowId, migrationId } = handoffIdentities(WORKLOAD);
    const source = await run.start(sourceId, "source");
    const fence = fenceFor(WORKLOAD, sourceId, shadowId, migrationId);

    await run.driver.requestFence(fence);
    await run.driver.waitFor(FenceCut.type);
    expect(source.workload.status().mode).toBe("fenced");
    await run.driver.abortFence(fence, "test: rolled back");
    await eventually("resumed", () => source.workload.status().mode === "primary");

    await replayRequest(run, fence);
    // Under a new event id: the same request as a second producer would send it.
    await run.driver.requestFence(fence);
    const reason = await refusal(source, migrationId);
    expect(reason).toMatch(/already ended/);
    // The byte-for-byte replay came first in the log and was a no-op: one refusal, one cut.
    const refusals = source.logs.filter(
      (l) => l.msg === "FenceRequested refused" && l.migrationId === migrationId,
    );
    expect(refusals).toHaveLength(1);
    expect(run.driver.of(FenceCut.type)).toHaveLength(1);
    expect(source.workload.status().sourceFence).toMatchObject({
      fenceId: fence.base.fenceId,
      aborted: true,
    });
    await keepsProcessing(source);
  });

  it("refuses a finished migration's FenceRequested at the copy holding the name on another node", async () => {
    const run = await setUp();
    const { source: sourceId, shadow: shadowId, migrationId } = handoffIdentities(WORKLOAD);
    const source = await run.start(sourceId, "source");
    const shadow = await run.start(shadowId, "shadow", {
      snapshot: await source.workload.snapshot(),
    });
    const fence = fenceFor(WORKLOAD, sourceId, shadowId, migrationId);
    await run.driver.requestFence(fence);
    await run.driver.waitFor(FencePassed.type);
    await eventually("shadow primary", () => shadow.workload.status().mode === "primary");
    await source.workload.stop();
    await shadow.workload.stop();

    // The workload's name back on the target node, as an identity swap leaves it.
    const named: Identity = {
      workload: WORKLOAD,
      instance: sourceId.instance,
      node: shadowId.node,
      role: "primary",
      incarnation: randomName("n"),
    };
    const copy = await run.start(named, "named");
    await replayRequest(run, fence);
    const reason = await refusal(copy, migrationId);
    expect(reason).toBe(`it names ${named.instance} on ${sourceId.node}, not ${named.node}`);
    expect(run.driver.of(FenceCut.type)).toHaveLength(1);
    await keepsProcessing(copy);
  });
});

describe("a fence nobody ends", () => {
  it("is aborted by its source after the deadline, through the log, and the source resumes", async () => {
    const run = await setUp();
    const { source: sourceId, shadow: shadowId, migrationId } = handoffIdentities(WORKLOAD);
    const source = await run.start(sourceId, "source", { fenceDeadlineMs: 1_500 });
    const fence = fenceFor(WORKLOAD, sourceId, shadowId, migrationId);

    await run.driver.requestFence(fence);
    const cut = await run.driver.waitFor(FenceCut.type);
    const aborted = await run.driver.waitFor(FenceAborted.type, 15_000);
    expect(aborted.data.fenceId).toBe(fence.base.fenceId);
    expect(aborted.data.reason).toMatch(/^fence deadline: .* 1500 ms of the cut/);
    await eventually("resumed", () => source.workload.status().mode === "primary");
    expect(source.workload.status().sourceFence).toMatchObject({
      aborted: true,
      cut: cut.data.cut,
    });
    await keepsProcessing(source);
  });

  it("stays fenced when the shadow's FencePassed is in the log before the deadline", async () => {
    const run = await setUp();
    const { source: sourceId, shadow: shadowId, migrationId } = handoffIdentities(WORKLOAD);
    const source = await run.start(sourceId, "source", { fenceDeadlineMs: 1_500 });
    const fence = fenceFor(WORKLOAD, sourceId, shadowId, migrationId);

    await run.driver.requestFence(fence);
    const cut = await run.driver.waitFor(FenceCut.type);
    // What the shadow publishes once past the cut.
    await run.driver.publish(FencePassed, {
      ...fence.base,
      instance: shadowId.instance,
      cut: cut.data.cut,
      pausedAt: cut.data.pausedAt,
      passedAt: new Date().toISOString(),
    });
    await eventually("deadline long past", () => {
      const pausedAt = Date.parse(cut.data.pausedAt);
      return Date.now() > pausedAt + 4_000;
    });
    expect(run.driver.of(FenceAborted.type)).toEqual([]);
    const status = source.workload.status();
    expect(status.mode).toBe("fenced");
    expect(status.sourceFence?.passedSeen).toBe(true);
    expect(status.processed).toEqual(cut.data.cut.filter((p) => p.offset >= 0));
  });
});
