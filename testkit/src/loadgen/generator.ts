import { randomBytes } from "node:crypto";
import { PartitionedProducer } from "@shadow/events";
import { type Admin, Kafka, logLevel, type Message, Partitioners } from "kafkajs";
import type { InputMessage } from "../messages.ts";

export interface LoadOptions {
  brokers: string[];
  topic: string;
  /** Messages per second, 10 to 10,000. */
  rate: number;
  /** Stop after this many valid messages... */
  count?: number;
  /** ...or after this long, whichever comes first (at least one bound is required). */
  durationMs?: number;
  /** Distinct keys, spread round-robin over the partitions. */
  keys?: number;
  /** Identifies this run in every message (default: random). */
  run?: string;
  /** Every n-th record is a bad one (not JSON, or a field missing); 0: none. */
  badEvery?: number;
  /** An existing client (tests); otherwise one is made from `brokers`. */
  kafka?: Kafka;
  /**
   * At high rates, wait until this many ms of messages are due before sending (default 5).
   * Below 1,000 / lingerMs msg/s every message still goes alone, at its time.
   */
  lingerMs?: number;
}

export interface LoadResult {
  run: string;
  topic: string;
  sent: number;
  bad: number;
  partitions: number;
  keys: number;
  startedAt: number;
  finishedAt: number;
  targetRate: number;
  /** Valid messages per second actually sent. */
  achievedRate: number;
  /** How far behind schedule the generator fell at worst (ms). */
  maxScheduleLagMs: number;
}

export interface LoadHandle {
  readonly run: string;
  /** Valid messages sent so far. */
  sent(): number;
  /** Stops early; `done` resolves with what was sent. */
  stop(): void;
  readonly done: Promise<LoadResult>;
}

const MAX_BATCH = 2_000;

/** Wall clock with sub-millisecond resolution, comparable across processes on one machine. */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Produces at a fixed rate: message i is due at start + i / rate. Whatever is due is sent in
 * one batch, one batch in flight at a time, so per-key order in the log is send order (the
 * verifier's reorder check depends on it). Keys go round-robin over partitions explicitly,
 * so every partition gets traffic whatever the key hashes are.
 */
export function startLoad(options: LoadOptions): LoadHandle {
  if (!(options.rate >= 10 && options.rate <= 10_000))
    throw new Error(`rate ${options.rate} not in 10..10000 msg/s`);
  if (options.count === undefined && options.durationMs === undefined) {
    throw new Error("a load needs a bound: count or durationMs");
  }
  const run = options.run ?? randomBytes(6).toString("hex");
  let stopped = false;
  let sent = 0;
  const done = (async () => {
    const kafka =
      options.kafka ??
      new Kafka({
        clientId: `shadow-loadgen-${run}`,
        brokers: options.brokers,
        logLevel: logLevel.WARN,
        // About a minute of retries, at most 2 s apart (kafkajs' default gives up after about
        // 9 s): a producer rides out a broker's restart or a cluster's failover, as the
        // services do. The producer is idempotent, so a retried batch is written once.
        retry: { initialRetryTime: 300, maxRetryTime: 2_000, retries: 30 },
      });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Partitions are chosen explicitly; naming the partitioner silences kafkajs' notice.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    // The partitioned producer asks the cluster how many brokers it has (a send per partition
    // only where a partition can change leader); opened on first use.
    let admin: Promise<Admin> | undefined;
    const openAdmin = () =>
      (admin ??= (async () => {
        const client = kafka.admin();
        await client.connect();
        return client;
      })().catch((error: unknown) => {
        admin = undefined;
        throw error;
      }));
    try {
      // Every message names its partition: a send per partition, as the SDK's outputs go.
      return await produceLoop(new PartitionedProducer(producer, openAdmin), kafka, options, run, {
        stopped: () => stopped,
        onSent: (n) => {
          sent += n;
        },
      });
    } finally {
      await producer.disconnect();
      await admin?.then((client) => client.disconnect()).catch(() => undefined);
    }
  })();
  return {
    run,
    sent: () => sent,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

/** Runs a load to its end. */
export function generateLoad(options: LoadOptions): Promise<LoadResult> {
  return startLoad(options).done;
}

/**
 * How many messages must be due before a batch goes: a linger's worth at high rates, 1 (each
 * message alone, at its time) below 1,000 / lingerMs msg/s, the paper's rates among them.
 */
export function minBatchOf(rate: number, lingerMs: number): number {
  return Math.max(1, Math.floor((rate * lingerMs) / 1000));
}

async function produceLoop(
  producer: PartitionedProducer,
  kafka: Kafka,
  options: LoadOptions,
  run: string,
  control: { stopped(): boolean; onSent(n: number): void },
): Promise<LoadResult> {
  const partitions = await partitionCount(kafka, options.topic);
  const keys = options.keys ?? 16;
  const keySeqs = new Array<number>(keys).fill(0);
  const limit = options.count ?? Number.POSITIVE_INFINITY;
  const badEvery = options.badEvery ?? 0;
  const minBatch = minBatchOf(options.rate, options.lingerMs ?? 5);
  const startedAt = wallClock();
  const endAt =
    options.durationMs === undefined ? Number.POSITIVE_INFINITY : startedAt + options.durationMs;
  let seq = 0;
  let records = 0;
  let bad = 0;
  let maxLag = 0;
  while (seq < limit && !control.stopped()) {
    const now = wallClock();
    if (now >= endAt) break;
    const due = Math.min(limit, Math.floor(((now - startedAt) * options.rate) / 1000) + 1);
    if (due - seq < Math.min(minBatch, limit - seq)) {
      // Sent one at a time, 10,000 msg/s made about a thousand produce requests a second of a
      // few records each (spread over 12 partitions), half a core here and as much in the
      // broker; with a batch's worth due first it is a few hundred.
      const nextAt = startedAt + ((seq + minBatch - 1) * 1000) / options.rate;
      await sleep(Math.max(0, nextAt - wallClock()));
      continue;
    }
    // How late the oldest unsent message is.
    maxLag = Math.max(maxLag, now - (startedAt + (seq * 1000) / options.rate));
    const messages: Message[] = [];
    let valid = 0;
    while (seq < due && messages.length < MAX_BATCH) {
      records += 1;
      if (badEvery > 0 && records % badEvery === 0) {
        messages.push(badRecord(bad, partitions));
        bad += 1;
        continue;
      }
      const keyIndex = seq % keys;
      const message: InputMessage = {
        run,
        seq,
        key: `k${keyIndex}`,
        keySeq: keySeqs[keyIndex] ?? 0,
        sentAt: wallClock(),
        amount: (seq % 7) - 3,
      };
      keySeqs[keyIndex] = (keySeqs[keyIndex] ?? 0) + 1;
      messages.push({
        key: message.key,
        partition: keyIndex % partitions,
        value: JSON.stringify(message),
      });
      seq += 1;
      valid += 1;
    }
    await producer.send([{ topic: options.topic, messages }]);
    control.onSent(valid);
  }
  const finishedAt = wallClock();
  const seconds = Math.max(0.001, (finishedAt - startedAt) / 1000);
  return {
    run,
    topic: options.topic,
    sent: seq,
    bad,
    partitions,
    keys,
    startedAt,
    finishedAt,
    targetRate: options.rate,
    achievedRate: seq / seconds,
    maxScheduleLagMs: Math.max(0, maxLag),
  };
}

/** Records a service must reject: alternately not JSON, and JSON without its fields. */
function badRecord(n: number, partitions: number): Message {
  const value = n % 2 === 0 ? `not json ${n}` : JSON.stringify({ key: `bad-${n}` });
  return { key: `bad-${n}`, partition: n % partitions, value };
}

async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = metadata.topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new Error(`topic ${topic} has no partitions (does it exist?)`);
    return count;
  } finally {
    await admin.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
