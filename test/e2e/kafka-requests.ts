import {
  buildEvent,
  MigrationRequested,
  type ShadowEvent,
  toBinaryRecord,
  topics,
} from "@shadow/events";
import { Kafka, logLevel, Partitioners } from "kafkajs";

export interface DirectRequest {
  migrationId: string;
  workload: string;
  strategy: "shadow" | "sequential";
  source: { instance: string; node: string };
  targetNode: string;
  identitySwap?: boolean;
}

/** A MigrationRequested as a user's own program builds it, with a trace of its own. */
export function directRequest(r: DirectRequest, traceparent?: string): ShadowEvent {
  const event = buildEvent(
    MigrationRequested,
    {
      migrationId: r.migrationId,
      workload: r.workload,
      strategy: r.strategy,
      identitySwap: r.identitySwap ?? false,
      source: r.source,
      targetNode: r.targetNode,
      requestedBy: "kafka",
      requestedAt: new Date().toISOString(),
    },
    { source: "/users/e2e-producer" },
  );
  return traceparent ? { ...event, traceparent } : event;
}

/**
 * Produces events straight onto the migrations topic, as a user's Kafka producer would: the
 * bus's binary binding (keyed by the workload), the Java client's partitioner, no gateway.
 */
export async function produceDirectly(brokers: string[], events: ShadowEvent[]): Promise<void> {
  const kafka = new Kafka({ clientId: "e2e-producer", brokers, logLevel: logLevel.WARN });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({
      topic: topics.migrations,
      acks: -1,
      messages: events.map(toBinaryRecord),
    });
  } finally {
    await producer.disconnect();
  }
}
