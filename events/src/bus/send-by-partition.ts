import type { Admin, Message, Producer, RecordMetadata } from "kafkajs";
import { Partitioners } from "kafkajs";

/**
 * An idempotent kafkajs producer that, on a cluster of several brokers, produces each
 * partition's messages in a send of its own, all partitions at once, one send per partition in
 * flight. With one broker it sends as kafkajs does (one request per batch).
 *
 * Why not one `producer.send` for everything on a cluster: kafkajs 2.2.4 keeps, across the
 * retries of one send, the brokers that already answered, and sends nothing more to them. When
 * a node dies and its partitions move to a node that already took another partition of the
 * same send, the retry skips them and the send resolves with their messages never written
 * (kafkajs issue #1303: messages lost when one node of a cluster is lost). A send that holds
 * one partition has one leader at a time, so its retry goes to the new leader. With one broker
 * no partition can move, and one request per batch keeps high rates cheap (a request per
 * partition would be twelve per batch at 12 partitions).
 *
 * Why one send per partition in flight: kafkajs takes a partition's sequence numbers back when
 * a request fails, also when the dying leader had written it; a second send to that partition
 * in between would reuse them and be taken for a duplicate of the first. Waiting for the first
 * (which retries with the same numbers) keeps them apart.
 *
 * Each partition is decided here as kafkajs' DefaultPartitioner (the Java client's murmur2 of
 * the key) decides it; messages that name their partition keep it.
 */
export class PartitionedProducer {
  readonly #producer: Producer;
  readonly #counts: PartitionCounts;
  readonly #brokers: BrokerCount;
  /** The last send of each partition, which the next one waits for. */
  readonly #lanes = new Map<string, Promise<unknown>>();

  /** `admin` tells how many brokers there are, and how many partitions each topic has. */
  constructor(producer: Producer, admin: () => Promise<Admin>) {
    this.#producer = producer;
    this.#counts = new PartitionCounts(admin);
    this.#brokers = new BrokerCount(admin);
  }

  /** Resolves once every message is acknowledged (acks -1: by all in-sync replicas). */
  async send(
    topicMessages: readonly { topic: string; messages: readonly Message[] }[],
  ): Promise<RecordMetadata[]> {
    if ((await this.#brokers.get()) === 1) {
      const [only, ...more] = topicMessages;
      if (only && more.length === 0) {
        return this.#producer.send({ topic: only.topic, acks: -1, messages: [...only.messages] });
      }
      return this.#producer.sendBatch({
        acks: -1,
        topicMessages: topicMessages.map(({ topic, messages }) => ({
          topic,
          messages: [...messages],
        })),
      });
    }
    const groups = await this.#group(topicMessages);
    try {
      const sent = await Promise.all(
        [...groups].map(([lane, { topic, messages }]) =>
          this.#inLane(lane, () => this.#producer.send({ topic, acks: -1, messages })),
        ),
      );
      return sent.flat();
    } catch (error) {
      // A topic recreated with another partition count is placed anew on the next send.
      for (const { topic } of topicMessages) this.#counts.forget(topic);
      this.#brokers.forget();
      throw error;
    }
  }

  async #group(topicMessages: readonly { topic: string; messages: readonly Message[] }[]) {
    const groups = new Map<string, { topic: string; messages: Message[] }>();
    for (const { topic, messages } of topicMessages) {
      const keyed = messages.some((m) => m.partition === undefined || m.partition === null);
      const count = keyed ? await this.#counts.of(topic) : 0;
      for (const message of messages) {
        const partition = message.partition ?? partitionFor(topic, message, count);
        const lane = `${topic}\u0000${partition}`;
        let group = groups.get(lane);
        if (!group) {
          group = { topic, messages: [] };
          groups.set(lane, group);
        }
        group.messages.push({ ...message, partition });
      }
    }
    return groups;
  }

  async #inLane<T>(lane: string, send: () => Promise<T>): Promise<T> {
    const before = this.#lanes.get(lane) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(send);
    this.#lanes.set(lane, mine);
    try {
      return await mine;
    } finally {
      if (this.#lanes.get(lane) === mine) this.#lanes.delete(lane);
    }
  }
}

const defaultPartitioner = Partitioners.DefaultPartitioner();

/** The partition kafkajs' DefaultPartitioner gives `message` among `count` partitions. */
export function partitionFor(topic: string, message: Message, count: number): number {
  if (count < 1) throw new Error(`${topic} has no partitions`);
  return defaultPartitioner({
    topic,
    partitionMetadata: Array.from({ length: count }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
    })),
    message,
  });
}

/** Partition counts by topic, read once from the cluster's metadata. */
class PartitionCounts {
  readonly #counts = new Map<string, Promise<number>>();
  readonly #admin: () => Promise<Admin>;

  constructor(admin: () => Promise<Admin>) {
    this.#admin = admin;
  }

  of(topic: string): Promise<number> {
    let count = this.#counts.get(topic);
    if (!count) {
      count = this.#read(topic);
      this.#counts.set(topic, count);
      count.catch(() => this.#counts.delete(topic));
    }
    return count;
  }

  forget(topic: string): void {
    this.#counts.delete(topic);
  }

  async #read(topic: string): Promise<number> {
    const admin = await this.#admin();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics[0]?.partitions.length ?? 0;
    if (count < 1) throw new Error(`${topic}: no partitions in the cluster's metadata`);
    return count;
  }
}

/**
 * How many brokers the cluster has, read from its metadata and again after 10 s or a failed
 * send. Unknown (the read failed) counts as several: the careful way.
 */
class BrokerCount {
  readonly #admin: () => Promise<Admin>;
  #count: Promise<number> | undefined;
  #readAt = 0;

  constructor(admin: () => Promise<Admin>) {
    this.#admin = admin;
  }

  get(): Promise<number> {
    if (!this.#count || Date.now() - this.#readAt > 10_000) {
      this.#readAt = Date.now();
      this.#count = this.#admin()
        .then((admin) => admin.describeCluster())
        .then(
          ({ brokers }) => brokers.length,
          () => Number.POSITIVE_INFINITY,
        );
    }
    return this.#count;
  }

  forget(): void {
    this.#count = undefined;
  }
}
