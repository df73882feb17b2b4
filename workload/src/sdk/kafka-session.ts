import { headersToText } from "@shadow/contract";
import { mendCoordinatorLookup, PartitionedProducer, resilientConsumer } from "@shadow/events";
import {
  type Admin,
  type Consumer,
  type IHeaders,
  Kafka,
  type KafkaMessage,
  logLevel,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from "kafkajs";
import type { Logger } from "pino";
import type { ControlHandler } from "../control/channel.ts";
import {
  createKafkaControlChannel,
  type KafkaControlChannel,
} from "../control/kafka-control-channel.ts";
import { readRanges } from "../kafka/read-ranges.ts";
import type { InputRecord, PartitionOffset, PendingOutput } from "../types.ts";
import type { ConnectionGate } from "./connection-gate.ts";
import { controlGroupId, type Identity, inputGroupId } from "./identity.ts";
import { OUTPUT_ID_HEADER } from "./output-id.ts";
import type { TopicPartition } from "./progress.ts";

export interface KafkaSessionOptions {
  brokers: string[];
  identity: Identity;
  epoch: number;
  gate: ConnectionGate;
  inputTopics: string[];
  controlTopic: string;
  log: Logger;
  onRecord(epoch: number, record: InputRecord): Promise<void>;
  onAssigned(epoch: number, partitions: TopicPartition[]): void;
  onControl: ControlHandler;
  /** A shadow reads the control log from this moment on (ms since epoch); default: now. */
  controlSince?: number;
  /** The consumer stopped for good (kafkajs will not restart it). */
  onFatal(epoch: number, error: unknown): void;
  consumer?: { sessionTimeout?: number; heartbeatInterval?: number; maxWaitTimeInMs?: number };
}

/**
 * The Kafka clients of one identity epoch: an input consumer in the instance's own group, an
 * idempotent producer for outputs and control events, the control channel and an admin
 * client. All connect through the gate, so they go mute the moment the epoch ends.
 */
export class KafkaSession {
  readonly epoch: number;
  readonly groupId: string;
  readonly control: KafkaControlChannel;
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  /** The producer's sends, one per partition (see PartitionedProducer). */
  private readonly outputs: PartitionedProducer;
  private admin: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private running = false;
  private readonly options: KafkaSessionOptions;

  constructor(options: KafkaSessionOptions) {
    // Heartbeats and commits follow the group's coordinator when its node dies or hands the
    // group over (see mendCoordinatorLookup): a source's fence waits for its commit.
    mendCoordinatorLookup();
    this.options = options;
    const { identity, epoch, gate, log } = options;
    this.epoch = epoch;
    this.groupId = inputGroupId(identity);
    const clientId = `shadow-workload-${identity.workload}-${identity.instance}-${identity.incarnation}`;
    this.kafka = new Kafka({
      clientId,
      brokers: options.brokers,
      socketFactory: gate.socketFactory(epoch),
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        // A stale client's complaints (refused connections) are expected and not worth a warning.
        const stale = gate.epoch !== epoch;
        const { message, ...extra } = entry.log;
        const fields = { epoch, kafkajs: entry.namespace, ...extra };
        if (stale) log.debug(fields, message);
        else if (entry.level === logLevel.ERROR) log.error(fields, message);
        else log.warn(fields, message);
      },
      retry: {
        initialRetryTime: 100,
        retries: 8,
        // A stale client must not come back; a current one always should.
        restartOnFailure: async () => gate.epoch === epoch,
      },
    });
    const consumerConfig = options.consumer ?? {};
    this.consumer = this.kafka.consumer({
      // Follows a partition to its new leader soon after a node dies (see resilientConsumer);
      // the restart after retries stays the session's own (restartOnFailure above).
      metadataMaxAge: resilientConsumer.metadataMaxAge,
      retry: { ...resilientConsumer.retry, restartOnFailure: async () => gate.epoch === epoch },
      groupId: this.groupId,
      sessionTimeout: consumerConfig.sessionTimeout ?? 10_000,
      heartbeatInterval: consumerConfig.heartbeatInterval ?? 1_000,
      // Short fetch waits: a seek or a pause takes effect at the next fetch.
      maxWaitTimeInMs: consumerConfig.maxWaitTimeInMs ?? 100,
      // kafkajs decodes a whole fetch response in one go: 10 MB of backlog (its default) is
      // about 50,000 records and, on a CPU-capped source, seconds in which neither the status
      // nor the health endpoint answers. 1 MB keeps that to a few tens of ms.
      maxBytes: 1024 * 1024,
      // kafkajs asks for the partitions in the same order every time and the broker fills the
      // response in that order: with a backlog on every partition, the first ones take the
      // whole 1 MB and the last ones starve (a 12-partition shadow was 40,000 records behind
      // on two partitions while 30,000 ahead on others). 64 KB each lets 16 share a response.
      maxBytesPerPartition: 64 * 1024,
    });
    // Idempotent, and retried without end (kafkajs warns otherwise): a retry of the same
    // request keeps its sequence numbers, so the broker drops the copy if the first got
    // through. A stale producer's retries all hit the gate and go nowhere.
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Java-compatible murmur2 on the key: one key's outputs stay in one partition.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    this.outputs = new PartitionedProducer(this.producer, () => this.getAdmin());
    this.control = createKafkaControlChannel({
      kafka: this.kafka,
      producer: this.producer,
      topic: options.controlTopic,
      groupId: controlGroupId(identity),
      readFrom: identity.role === "shadow" ? { since: options.controlSince ?? Date.now() } : "now",
      admin: () => this.getAdmin(),
      source: `/shadow/workload/${identity.workload}/${identity.instance}`,
      beforePublish: () => gate.assertCurrent(epoch, "control publish"),
      log,
      consumerConfig,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions: TopicPartition[] = [];
      for (const [topic, list] of Object.entries(payload.memberAssignment)) {
        for (const partition of list) partitions.push({ topic, partition });
      }
      options.onAssigned(epoch, partitions);
    });
    for (const consumer of [this.consumer, this.control.consumer]) {
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart && gate.epoch === epoch) options.onFatal(epoch, payload.error);
      });
    }
  }

  async start(): Promise<void> {
    const { gate, epoch, inputTopics, onRecord } = this.options;
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: inputTopics, fromBeginning: true });
    await this.consumer.run({
      // Never let kafkajs commit: a seek would commit, and progress means "processed and
      // produced", which only the SDK knows.
      autoCommit: false,
      // Partitions are processed at once (see Lock); order holds within each.
      partitionsConsumedConcurrently: 16,
      eachMessage: async ({ topic, partition, message }) => {
        if (gate.epoch !== epoch) return;
        await onRecord(epoch, toInputRecord(topic, partition, message));
      },
    });
    this.running = true;
    await this.control.subscribe(this.options.onControl);
  }

  get started(): boolean {
    return this.running;
  }

  /** Produces a batch of outputs and resolves when all are acknowledged (acks=all). */
  async send(batch: readonly PendingOutput[]): Promise<RecordMetadata[]> {
    this.options.gate.assertCurrent(this.epoch, "produce");
    const byTopic = new Map<
      string,
      { key: string | null; value: string | Buffer; headers: IHeaders; timestamp: string }[]
    >();
    // The record timestamp is when it becomes visible, which end-to-end latency is about.
    const timestamp = String(Date.now());
    for (const output of batch) {
      let list = byTopic.get(output.topic);
      if (!list) {
        list = [];
        byTopic.set(output.topic, list);
      }
      list.push({ key: output.key, value: output.value, headers: output.headers, timestamp });
    }
    return this.outputs.send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
  }

  /**
   * The output ids (OUTPUT_ID_HEADER) in `topics` from each partition's mark to its end: what
   * a restored copy finds there of the outputs it inherited unacknowledged. Read with a
   * throwaway group, deleted afterwards.
   */
  async readOutputIds(
    topics: readonly string[],
    from: (topic: string, partition: number) => number | undefined,
    timeoutMs = 15_000,
  ): Promise<Set<string>> {
    this.options.gate.assertCurrent(this.epoch, "read back");
    const ids = new Set<string>();
    await readRanges(
      this.kafka,
      await this.getAdmin(),
      { topics, from, groupId: `${this.groupId}.read-back.${Date.now().toString(36)}`, timeoutMs },
      (_topic, _partition, message) => {
        const id = message.headers?.[OUTPUT_ID_HEADER];
        if (id !== undefined) ids.add(String(Array.isArray(id) ? id[0] : id));
      },
    );
    return ids;
  }

  /** Commits progress (the last offset processed and settled; Kafka stores the next one). */
  async commit(positions: readonly PartitionOffset[]): Promise<void> {
    this.options.gate.assertCurrent(this.epoch, "commit");
    await this.consumer.commitOffsets(
      positions.map(({ topic, partition, offset }) => ({
        topic,
        partition,
        offset: String(offset + 1),
      })),
    );
  }

  seek(topic: string, partition: number, offset: number): void {
    try {
      this.consumer.seek({ topic, partition, offset: String(offset) });
    } catch (error) {
      this.options.log.warn({ topic, partition, offset, err: error }, "seek failed");
    }
  }

  /** Stops fetching input (local: no request is sent). */
  pauseInput(): void {
    try {
      this.consumer.pause(this.options.inputTopics.map((topic) => ({ topic })));
    } catch {
      // Not running yet: the assignment handler pauses on join.
    }
  }

  /** Continues input at exactly the given positions. */
  resumeInput(positions: readonly PartitionOffset[]): void {
    for (const { topic, partition, offset } of positions) this.seek(topic, partition, offset);
    try {
      this.consumer.resume(this.options.inputTopics.map((topic) => ({ topic })));
    } catch {
      // Not running yet: the assignment handler seeks on join.
    }
  }

  /** Stops fetching the given partitions only (the others go on). */
  pausePartitions(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return;
    try {
      this.consumer.pause(byTopic(partitions));
    } catch {
      // Not running yet: the assignment handler pauses on join.
    }
  }

  /**
   * Continues the given partitions, each at exactly its position where one is given. One with
   * none had nothing of it delivered, so the consumer stands where it began there.
   */
  resumePartitions(positions: readonly (TopicPartition & { offset?: number })[]): void {
    if (positions.length === 0) return;
    for (const { topic, partition, offset } of positions) {
      if (offset !== undefined) this.seek(topic, partition, offset);
    }
    try {
      this.consumer.resume(byTopic(positions));
    } catch {
      // Not running yet: the assignment handler seeks on join.
    }
  }

  /** Committed offsets of another group (the source's), as last processed offsets. */
  async groupProgress(groupId: string): Promise<PartitionOffset[]> {
    const admin = await this.getAdmin();
    const result = await admin.fetchOffsets({ groupId, topics: this.options.inputTopics });
    const positions: PartitionOffset[] = [];
    for (const { topic, partitions } of result) {
      for (const { partition, offset } of partitions) {
        const next = Number(offset);
        if (next > 0) positions.push({ topic, partition, offset: next - 1 });
      }
    }
    return positions;
  }

  private getAdmin(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.adminConnecting ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
      return admin;
    })();
    return this.adminConnecting;
  }

  /**
   * Leaves the clients behind unused: no disconnect (that would send LeaveGroup and final
   * requests under an identity this process no longer has). Their sockets are already closed
   * by the gate and can never reopen; pausing locally stops their fetch loops sooner.
   */
  abandon(): void {
    this.pauseInput();
    try {
      this.control.consumer.pause([{ topic: this.options.controlTopic }]);
    } catch {
      // never ran
    }
  }

  /** A clean goodbye under the current identity (process stop, same-identity restart). */
  async close(): Promise<void> {
    await Promise.allSettled([
      this.consumer.disconnect(),
      this.control.consumer.disconnect(),
      this.admin?.disconnect(),
    ]);
    await this.producer.disconnect().catch(() => undefined);
  }
}

export function toInputRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
): InputRecord {
  const headers = headersToText(message.headers);
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key === null ? null : message.key.toString(),
    value: message.value,
    headers,
    timestamp: Number(message.timestamp),
  };
}

function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const grouped = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = grouped.get(topic);
    if (list) list.push(partition);
    else grouped.set(topic, [partition]);
  }
  return [...grouped].map(([topic, list]) => ({ topic, partitions: list }));
}
