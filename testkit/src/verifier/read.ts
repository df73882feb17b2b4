import { randomBytes } from "node:crypto";
import { readRanges } from "@shadow/workload";
import { type Kafka, Kafka as KafkaClient, logLevel } from "kafkajs";
import type { RunRecords, TopicRecord } from "./records.ts";

/**
 * Reads a topic from its beginning up to the end it had when the read started, with a
 * throwaway consumer group (deleted afterwards). Big topics get longer: the timeout is for a
 * stalled read, not a long one.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  timeoutMs = 60_000,
): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const records: TopicRecord[] = [];
  try {
    await readRanges(
      kafka,
      admin,
      {
        topics: [topic],
        groupId: `shadow-verifier-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`,
        timeoutMs,
        msPerRecord: 0.1,
      },
      (_topic, partition, message) => records.push(toRecord(topic, partition, message)),
    );
    return records;
  } finally {
    await admin.disconnect();
  }
}

export interface RunTopics {
  inputTopics: string[];
  outputTopic: string;
  deadLetterTopic?: string;
}

/** Reads everything a run left on its input, output and dead-letter topics. */
export async function readRun(
  kafkaOrBrokers: Kafka | string[],
  topics: RunTopics,
): Promise<RunRecords> {
  const kafka = Array.isArray(kafkaOrBrokers)
    ? new KafkaClient({
        clientId: "shadow-verifier",
        brokers: kafkaOrBrokers,
        logLevel: logLevel.WARN,
      })
    : kafkaOrBrokers;
  const inputs: TopicRecord[] = [];
  // A loop, not push(...records): a run at 10k msg/s has more records than the stack has room
  // for arguments.
  for (const topic of topics.inputTopics) {
    for (const record of await readTopic(kafka, topic)) inputs.push(record);
  }
  const outputs = await readTopic(kafka, topics.outputTopic);
  const deadLetters = topics.deadLetterTopic ? await readTopic(kafka, topics.deadLetterTopic) : [];
  return { inputs, outputs, deadLetters };
}

function toRecord(
  topic: string,
  partition: number,
  message: {
    offset: string;
    key: Buffer | null;
    value: Buffer | null;
    headers?: Record<string, unknown>;
    timestamp: string;
  },
): TopicRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== null) headers[name] = String(first);
  }
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
