import { randomBytes } from "node:crypto";
import { decodeRecord, topics } from "@shadow/events";
import { type Consumer, Kafka, logLevel } from "kafkajs";

/** An event of the choreography as the test saw it arrive, and where it was written. */
export interface Seen {
  type: string;
  migrationId: string;
  topic: string;
  partition: number;
  /** When the test read it (ms since epoch). */
  at: number;
}

/**
 * Reads the migrations and control topics as the services do: a
 * fault injected when an event shows up here lands where the services are at, not where the
 * gateway's view (one consumer further, seconds behind after a node died) says they are. Each
 * event also names the partition it went to, whichever key the services chose.
 */
export class LogWatch {
  readonly #consumer: Consumer;
  readonly #seen: Seen[] = [];
  readonly #waiting = new Set<() => void>();

  constructor(brokers: string[]) {
    this.#consumer = new Kafka({
      clientId: "shadow-chaos-log-watch",
      brokers,
      logLevel: logLevel.NOTHING,
    }).consumer({
      groupId: `shadow-chaos-log-watch-${randomBytes(4).toString("hex")}`,
      maxWaitTimeInMs: 20,
    });
  }

  /** Resolves once it reads. */
  async start(timeoutMs = 60_000): Promise<void> {
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the log watch did not join")), timeoutMs);
      this.#consumer.on(this.#consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.#consumer.connect();
    // From the beginning (a test cluster's log is short): events written between the join and
    // the first fetch must not be skipped. Each test looks for its own migration's.
    await this.#consumer.subscribe({
      topics: [topics.migrations, topics.control],
      fromBeginning: true,
    });
    await this.#consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const decoded = decodeRecord(message);
        if (!decoded.ok) return;
        this.#seen.push({
          type: decoded.event.type,
          migrationId: decoded.event.subject,
          topic,
          partition,
          at: Date.now(),
        });
        for (const wake of this.#waiting) wake();
      },
    });
    await joined;
  }

  /** The first event of `type` for the migration, as soon as it is written. */
  async first(migrationId: string, type: string, timeoutMs = 180_000): Promise<Seen> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.#seen.find((e) => e.migrationId === migrationId && e.type === type);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${type} of ${migrationId} not seen in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiting.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiting.add(wake);
      });
    }
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}
