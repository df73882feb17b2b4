import { randomBytes } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  controlGroupId,
  type Identity,
  inputGroupId,
  OUTPUT_ID_HEADER,
  type WorkloadStatus,
} from "@shadow/contract";
import {
  buildEvent,
  createTopicsWithLeaders,
  type DataOf,
  type EventDefinition,
  type EventType,
  FenceAborted,
  FenceRequested,
  toBinaryRecord,
  topicOffsets,
} from "@shadow/events";
import { type ControlEvent, decodeControl, type Snapshot } from "@shadow/workload";
import { type Consumer, Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import pino from "pino";
import { afterAll, beforeAll, inject } from "vitest";
import type { ExampleConfig } from "../src/example/config.ts";
import { createExampleService, type ExampleService } from "../src/example/service.ts";
import type { ExampleState } from "../src/example/state.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string[];
  }
}

export function brokers(): string[] {
  return inject("kafkaBrokers");
}

export function testKafka(clientId = "workload-test"): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.ERROR });
}

export function randomName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** Polls until `check` holds; fails naming `what` after the timeout. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface RunTopics {
  input: string;
  output: string;
  dlq: string;
  control: string;
  all: string[];
}

/** Own topics for one test: input and output with several partitions, a DLQ and a control topic. */
export async function createRunTopics(kafka: Kafka, partitions = 4): Promise<RunTopics> {
  const input = randomName("wl-in");
  const output = randomName("wl-out");
  const dlq = randomName("wl-dlq");
  const control = randomName("wl-control");
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, [
      { topic: input, numPartitions: partitions },
      { topic: output, numPartitions: partitions },
      { topic: dlq, numPartitions: 1 },
      { topic: control, numPartitions: 1 },
    ]);
  } finally {
    await admin.disconnect();
  }
  return { input, output, dlq, control, all: [input, output, dlq, control] };
}

/**
 * A test file's own topics and identity files: the topics are created before its tests (the
 * returned object is filled in then) and deleted after them, with the consumer groups of every
 * identity written and the files themselves.
 */
export function useRunTopics(
  kafka: Kafka,
  partitions: number,
): { topics: RunTopics; files: IdentityFiles } {
  const topics = {} as RunTopics;
  const files = new IdentityFiles();
  beforeAll(async () => {
    Object.assign(topics, await createRunTopics(kafka, partitions));
  });
  afterAll(async () => {
    if (topics.all) await deleteTopics(kafka, topics.all);
    await deleteGroupsOf(kafka, files.written);
    files.remove();
  });
  return { topics, files };
}

export async function deleteTopics(kafka: Kafka, names: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = names.filter((name) => existing.has(name));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the consumer groups of these identities (input and control), best effort. */
export async function deleteGroupsOf(
  kafka: Kafka,
  identities: Identity[],
  extra: string[] = [],
): Promise<void> {
  const ids = [
    ...identities.flatMap((identity) => [inputGroupId(identity), controlGroupId(identity)]),
    ...extra,
  ];
  const admin = kafka.admin();
  await admin.connect();
  try {
    // A group abandoned without a goodbye keeps its member until the session times out.
    await admin.deleteGroups(ids).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** End offsets (last offset present) of a topic, per partition. */
export async function lastOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await topicOffsets(admin, topic);
    return new Map(offsets.map(({ partition, high }) => [partition, Number(high) - 1]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * A source's identity and the one a migration gives its shadow copy (`<workload>-0` on node-a,
 * `<workload>-0-shadow` on node-b), fresh incarnations each call.
 */
export function handoffIdentities(
  workload: string,
  migrationId = randomName("m"),
): { source: Identity; shadow: Identity; migrationId: string } {
  return {
    migrationId,
    source: {
      workload,
      instance: `${workload}-0`,
      node: "node-a",
      role: "primary",
      incarnation: randomName("s"),
    },
    shadow: {
      workload,
      instance: `${workload}-0-shadow`,
      node: "node-b",
      role: "shadow",
      incarnation: randomName("r"),
      migrationId,
    },
  };
}

/** What a restore of a source that had processed nothing yet gives its copy. */
export function emptySnapshot(source: Identity): Snapshot<ExampleState> {
  return {
    identity: source,
    state: { accounts: new Map(), outputs: 0, ballast: [] },
    processed: [],
    unsettled: [],
    takenAt: Date.now(),
  };
}

/** A directory of identity files, written the way a runtime does (new file renamed over). */
export class IdentityFiles {
  readonly dir = mkdtempSync(join(tmpdir(), "shadow-workload-"));
  /** Every identity written, so a test can delete their consumer groups afterwards. */
  readonly written: Identity[] = [];

  write(name: string, identity: Identity): string {
    this.written.push(identity);
    const path = join(this.dir, `${name}.json`);
    writeFileSync(`${path}.tmp`, JSON.stringify(identity));
    renameSync(`${path}.tmp`, path);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface InstanceOptions {
  topics: RunTopics;
  identityPath: string;
  costMs?: number;
  maxPendingOutputs?: number;
  maxHeldOutputs?: number;
  snapshot?: Snapshot<ExampleState>;
  name: string;
}

export type Instance = ExampleService & { port: number };

/** One live example service instance on loopback, with fast Kafka timings. */
export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const config: ExampleConfig = {
    brokers: brokers(),
    inputTopics: [options.topics.input],
    outputTopic: options.topics.output,
    deadLetterTopic: options.topics.dlq,
    controlTopic: options.topics.control,
    identityPath: options.identityPath,
    httpHost: "127.0.0.1",
    httpPort: 0,
    ballastMb: 0,
    costMs: options.costMs ?? 10,
    costMode: "sleep",
    maxHeldOutputs: options.maxHeldOutputs ?? 100_000,
    maxPendingOutputs: options.maxPendingOutputs ?? 10_000,
    // Connection errors are part of several tests; SHADOW_TEST_LOG=warn shows them.
    logLevel: process.env.SHADOW_TEST_LOG ?? "fatal",
  };
  const service = createExampleService(config, {
    log: pino({ name: options.name, level: config.logLevel }),
    consumer: { sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 50 },
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
  });
  const { port } = await service.start();
  return Object.assign(service, { port });
}

/** Waits until an instance has its partitions and reads the control topic. */
export function ready(service: ExampleService): Promise<WorkloadStatus> {
  return eventually(`${service.workload.identity.instance} ready`, () => {
    const status = service.workload.status();
    return status.inputReady && status.controlReady && status.assigned.length > 0
      ? status
      : undefined;
  });
}

/** Waits until an instance processed everything on the input topic and settled its outputs. */
export async function drained(
  kafka: Kafka,
  service: ExampleService,
  topic: string,
  timeoutMs = 60_000,
): Promise<void> {
  const ends = await lastOffsets(kafka, topic);
  await eventually(
    `${service.workload.identity.instance} drained`,
    () => {
      const status = service.workload.status();
      const processed = new Map(status.processed.map((p) => [p.partition, p.offset]));
      for (const [partition, last] of ends) {
        if (last >= 0 && (processed.get(partition) ?? -1) < last) return false;
      }
      return status.inFlightOutputs === 0 && status.heldBack.size === 0;
    },
    timeoutMs,
  );
}

/** The test in the role of fence-svc: publishes fence events and watches the control log. */
export class ControlDriver {
  readonly events: { event: ControlEvent; at: number }[] = [];
  private producer: Producer;
  private consumer: Consumer;
  readonly groupId = randomName("fence-driver");

  private constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    this.consumer = kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 50 });
  }

  static async start(kafka: Kafka, topic: string): Promise<ControlDriver> {
    const driver = new ControlDriver(kafka, topic);
    await driver.producer.connect();
    await driver.consumer.connect();
    await driver.consumer.subscribe({ topics: [topic], fromBeginning: true });
    const joined = new Promise<void>((resolve) => {
      driver.consumer.on(driver.consumer.events.GROUP_JOIN, () => resolve());
    });
    await driver.consumer.run({
      eachMessage: async ({ message }) => {
        const decoded = decodeControl(message);
        if (decoded.ok) driver.events.push({ event: decoded.event, at: Date.now() });
      },
    });
    await joined;
    return driver;
  }

  async publish<T extends EventType, D extends EventDefinition<T>>(
    definition: D & EventDefinition<T>,
    data: DataOf<D>,
    /** The record's timestamp (ms since epoch), as a publisher with this clock would set it. */
    at?: number,
  ): Promise<number> {
    const event = buildEvent(definition, data as never, { source: "/shadow/fence-svc/test" });
    const record = {
      ...toBinaryRecord(event),
      ...(at === undefined ? {} : { timestamp: String(at) }),
    };
    await this.producer.send({ topic: this.topic, acks: -1, messages: [record] });
    return Date.now();
  }

  requestFence(fence: Fence): Promise<number> {
    return this.publish(FenceRequested, fence.base);
  }

  abortFence(fence: Fence, reason: string): Promise<number> {
    return this.publish(FenceAborted, { ...fence.base, reason });
  }

  of<T extends ControlEvent["type"]>(type: T): Extract<ControlEvent, { type: T }>[] {
    return this.events
      .filter((e) => e.event.type === type)
      .map((e) => e.event as Extract<ControlEvent, { type: T }>);
  }

  waitFor<T extends ControlEvent["type"]>(
    type: T,
    timeoutMs = 30_000,
  ): Promise<Extract<ControlEvent, { type: T }>> {
    return eventually(type, () => this.of(type)[0], timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}

export interface Fence {
  migrationId: string;
  base: DataOf<typeof FenceRequested>;
}

export function fenceFor(
  workload: string,
  from: Identity,
  to: Identity,
  migrationId: string,
): Fence {
  return {
    migrationId,
    base: {
      migrationId,
      workload,
      strategy: "shadow",
      identitySwap: false,
      requestedAt: new Date().toISOString(),
      handoff: {
        round: 1,
        from: { instance: from.instance, node: from.node },
        to: { instance: to.instance, node: to.node },
      },
      fenceId: randomName("fence"),
    },
  };
}

/** How often each output id (OUTPUT_ID_HEADER) occurs among records read from an output topic. */
export function countIds(records: { headers: Record<string, string> }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) {
    const id = r.headers[OUTPUT_ID_HEADER];
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
