import {
  decodeRecord,
  type IncomingEvent,
  readLog,
  topicOffsets,
  topics,
  validateEvent,
} from "@shadow/events";
import { Kafka, type KafkaMessage, logLevel } from "kafkajs";

/** A record of the migrations log with the event it holds, if it holds a valid one. */
export interface LoggedRecord {
  partition: number;
  message: KafkaMessage;
  event?: IncomingEvent;
}

/** Every record of the migrations log keyed by `workload`, in its order. */
export async function workloadRecords(
  brokers: string[],
  workload: string,
): Promise<LoggedRecord[]> {
  const kafka = new Kafka({ clientId: "e2e-log-reader", brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  const until = new Map<number, bigint>();
  for (const { partition, high } of await topicOffsets(admin, topics.migrations)) {
    until.set(partition, BigInt(high));
  }
  await admin.disconnect();
  const records: LoggedRecord[] = [];
  await readLog(kafka, topics.migrations, until, (partition, message) => {
    if (message.key?.toString() !== workload) return;
    const decoded = decodeRecord(message);
    const valid = decoded.ok ? validateEvent(decoded.event) : undefined;
    records.push({ partition, message, ...(valid?.ok ? { event: valid.event } : {}) });
  });
  return records;
}

/** Every valid event of the workload in the migrations log, in its order. */
export async function workloadLog(brokers: string[], workload: string): Promise<IncomingEvent[]> {
  return (await workloadRecords(brokers, workload)).flatMap((r) => (r.event ? [r.event] : []));
}
