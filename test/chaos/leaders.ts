import { type Admin, Kafka, logLevel } from "kafkajs";

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

  /**
   * Runs an admin request, again on any error for a while: a node back from the dead answers
   * before it has read every topic, and a topic just created is not known to every node at
   * once ("This server does not host this topic-partition").
   */
  async #ask<T>(request: (admin: Admin) => Promise<T>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        this.#connected ??= this.#admin.connect();
        await this.#connected;
        return await request(this.#admin);
      } catch (error) {
        this.#connected = undefined;
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** The leader of each partition of `topic` (-1: none right now). */
  async of(topic: string): Promise<Map<number, number>> {
    const { topics } = await this.#ask((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    const leaders = new Map<number, number>();
    for (const p of topics[0]?.partitions ?? []) leaders.set(p.partitionId, p.leader);
    return leaders;
  }

  /** Replication factor and in-sync replicas of each partition. */
  async replicas(topic: string): Promise<{ partition: number; replicas: number; isr: number }[]> {
    const { topics } = await this.#ask((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    return (topics[0]?.partitions ?? []).map((p) => ({
      partition: p.partitionId,
      replicas: p.replicas.length,
      isr: p.isr.length,
    }));
  }

  /** A topic's min.insync.replicas as the brokers apply it. */
  async minInsyncReplicas(topic: string): Promise<number> {
    const { resources } = await this.#ask((admin) =>
      admin.describeConfigs({
        resources: [{ type: 2, name: topic, configNames: ["min.insync.replicas"] }],
        includeSynonyms: false,
      }),
    );
    return Number(resources[0]?.configEntries[0]?.configValue);
  }

  async close(): Promise<void> {
    if (this.#connected) await this.#admin.disconnect();
  }
}
