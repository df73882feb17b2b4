import { type Admin, Kafka, logLevel, Partitioners } from "kafkajs";

/**
 * Who leads what on the chaos cluster, read with a kafkajs admin of the test's own: the tests
 * watch the broker from outside, the way an operator's tool would.
 */
export class Leaders {
  readonly #admin: Admin;
  #connected: Promise<void> | undefined;

  constructor(brokers: string[]) {
    this.#admin = new Kafka({
      clientId: "shadow-chaos-watch",
      brokers,
      logLevel: logLevel.NOTHING,
      // A node was just killed: a request to it fails fast and is retried against the others.
      connectionTimeout: 1000,
      requestTimeout: 3000,
      retry: { retries: 3, initialRetryTime: 100 },
    }).admin();
  }

  /** The leader of each partition of `topic` (-1: none right now). */
  async of(topic: string): Promise<Map<number, number>> {
    this.#connected ??= this.#admin.connect();
    await this.#connected;
    const { topics } = await this.#admin.fetchTopicMetadata({ topics: [topic] });
    const leaders = new Map<number, number>();
    for (const p of topics[0]?.partitions ?? []) leaders.set(p.partitionId, p.leader);
    return leaders;
  }

  /** Replication factor and in-sync replicas of each partition. */
  async replicas(topic: string): Promise<{ partition: number; replicas: number; isr: number }[]> {
    this.#connected ??= this.#admin.connect();
    await this.#connected;
    const { topics } = await this.#admin.fetchTopicMetadata({ topics: [topic] });
    return (topics[0]?.partitions ?? []).map((p) => ({
      partition: p.partitionId,
      replicas: p.replicas.length,
      isr: p.isr.length,
    }));
  }

  /** A topic's min.insync.replicas as the brokers apply it. */
  async minInsyncReplicas(topic: string): Promise<number> {
    this.#connected ??= this.#admin.connect();
    await this.#connected;
    const { resources } = await this.#admin.describeConfigs({
      resources: [{ type: 2, name: topic, configNames: ["min.insync.replicas"] }],
      includeSynonyms: false,
    });
    return Number(resources[0]?.configEntries[0]?.configValue);
  }

  async close(): Promise<void> {
    if (this.#connected) await this.#admin.disconnect();
  }
}

/**
 * The partition a key lands on among `partitions`: murmur2 of the key, as the project's
 * publisher (kafkajs' DefaultPartitioner, the Java client's rule) places a migration's events.
 */
export function partitionOfKey(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  return partitioner({
    topic: "",
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
    })),
    message: { key, value: null },
  });
}
