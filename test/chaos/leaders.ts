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

  /**
   * Waits until every partition of every topic has all its replicas in sync and is led by its
   * preferred replica (the first of its replicas; the cluster moves leaders back within
   * `leader.imbalance.check.interval.seconds` of a node's return).
   */
  async awaitBalanced(timeoutMs = 120_000): Promise<void> {
    await this.#until(
      "every partition in sync and led by its preferred replica",
      timeoutMs,
      async () => {
        const { topics } = await this.#ask(async (admin) =>
          admin.fetchTopicMetadata({ topics: await admin.listTopics() }),
        );
        const off = topics.flatMap(({ name, partitions }) =>
          partitions
            .filter((p) => p.isr.length < p.replicas.length || p.leader !== p.replicas[0])
            .map((p) => `${name}[${p.partitionId}] leader ${p.leader}, in sync ${p.isr.join(",")}`),
        );
        return off.length === 0 ? undefined : off.slice(0, 5).join("; ");
      },
    );
  }

  /**
   * Waits until no consumer group is re-balancing, seen twice a heartbeat apart: a member that
   * found its coordinator moved joins again on its next heartbeat.
   */
  async awaitGroupsStable(timeoutMs = 120_000): Promise<void> {
    const unsettled = async () => {
      const { groups } = await this.#ask((admin) => admin.listGroups());
      const ids = groups.filter((g) => g.protocolType === "consumer").map((g) => g.groupId);
      if (ids.length === 0) return undefined;
      const described = await this.#ask((admin) => admin.describeGroups(ids));
      const moving = described.groups.filter((g) => !["Stable", "Empty", "Dead"].includes(g.state));
      return moving.length === 0
        ? undefined
        : moving.map((g) => `${g.groupId} ${g.state}`).join("; ");
    };
    await this.#until("every consumer group stable", timeoutMs, async () => {
      const first = await unsettled();
      if (first) return first;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      return unsettled();
    });
  }

  async #until(
    what: string,
    timeoutMs: number,
    check: () => Promise<string | undefined>,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = await check();
      if (left === undefined) return;
      if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms: ${left}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async close(): Promise<void> {
    if (this.#connected) await this.#admin.disconnect();
  }
}
