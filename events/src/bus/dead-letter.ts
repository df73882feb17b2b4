import type { IHeaders, KafkaMessage, Message } from "kafkajs";

/**
 * Dead letters the Knative way: the original record, byte for byte (key, value, headers),
 * forwarded with error attributes added as headers, so an operator can read why it failed and
 * re-drive it to its source topic unchanged.
 */
export const dlqHeaders = {
  reason: "shadow-dlq-reason",
  code: "shadow-dlq-code",
  sourceTopic: "shadow-dlq-source-topic",
  sourcePartition: "shadow-dlq-source-partition",
  sourceOffset: "shadow-dlq-source-offset",
  sourceTimestamp: "shadow-dlq-source-timestamp",
  consumerGroup: "shadow-dlq-consumer-group",
  attempts: "shadow-dlq-attempts",
  migrationId: "shadow-dlq-migration-id",
  time: "shadow-dlq-time",
} as const;

/** Reasons can embed whole stack traces or payloads; the header stays readable and bounded. */
export const MAX_REASON_LENGTH = 1024;

export function truncateReason(reason: string, max = MAX_REASON_LENGTH): string {
  if (reason.length <= max) return reason;
  return `${reason.slice(0, max - 1)}…`;
}

export type DeadLetterCode =
  | "empty"
  | "invalid-json"
  | "not-cloudevent"
  | "invalid-cloudevent"
  | "unsupported-content-type"
  | "unknown-type"
  | "envelope-invalid"
  | "schema-invalid"
  | "subject-mismatch"
  | "misrouted"
  | "handler-terminal"
  | "retries-exhausted";

export interface DeadLetterCause {
  code: DeadLetterCode;
  reason: string;
  topic: string;
  partition: number;
  groupId: string;
  attempts: number;
  migrationId?: string;
  now?: Date;
}

/** The record to send to the dead-letter topic for `message`, which failed as `cause` says. */
export function deadLetterRecord(message: KafkaMessage, cause: DeadLetterCause): Message {
  const headers: IHeaders = { ...(message.headers ?? {}) };
  headers[dlqHeaders.reason] = truncateReason(cause.reason);
  headers[dlqHeaders.code] = cause.code;
  headers[dlqHeaders.sourceTopic] = cause.topic;
  headers[dlqHeaders.sourcePartition] = String(cause.partition);
  headers[dlqHeaders.sourceOffset] = message.offset;
  headers[dlqHeaders.sourceTimestamp] = message.timestamp;
  headers[dlqHeaders.consumerGroup] = cause.groupId;
  headers[dlqHeaders.attempts] = String(cause.attempts);
  headers[dlqHeaders.time] = (cause.now ?? new Date()).toISOString();
  if (cause.migrationId) headers[dlqHeaders.migrationId] = cause.migrationId;
  return { key: message.key, value: message.value, headers };
}
