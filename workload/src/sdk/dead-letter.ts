import { dlqHeaders, MAX_REASON_LENGTH } from "@shadow/events";
import type { InputRecord, PendingOutput } from "../types.ts";
import { OUTPUT_ID_HEADER, outputId } from "./output-id.ts";

/**
 * Dead-letter headers: the events bus's names (Knative style: the original record byte for
 * byte, with the error attributes added), so one tool reads both, plus the instance that
 * gave up on the record.
 */
export const deadLetterHeaders = { ...dlqHeaders, instance: "shadow-dlq-instance" } as const;

const MAX_REASON = MAX_REASON_LENGTH;

export type WorkloadDeadLetterCode = "invalid-record" | "handler-terminal" | "retries-exhausted";

export interface DeadLetterCause {
  code: WorkloadDeadLetterCode;
  reason: string;
  groupId: string;
  instance: string;
  attempts: number;
  now: number;
}

/**
 * The dead-letter output for a record the service cannot process. It is an output like any
 * other: a shadow holds it back and the cut decides whether the source already sent it.
 */
export function deadLetterOutput(
  record: InputRecord,
  topic: string,
  cause: DeadLetterCause,
): PendingOutput {
  const reason =
    cause.reason.length <= MAX_REASON ? cause.reason : `${cause.reason.slice(0, MAX_REASON - 1)}…`;
  return {
    topic,
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers: {
      ...record.headers,
      [deadLetterHeaders.reason]: reason,
      [deadLetterHeaders.code]: cause.code,
      [deadLetterHeaders.sourceTopic]: record.topic,
      [deadLetterHeaders.sourcePartition]: String(record.partition),
      [deadLetterHeaders.sourceOffset]: String(record.offset),
      [deadLetterHeaders.sourceTimestamp]: String(record.timestamp),
      [deadLetterHeaders.consumerGroup]: cause.groupId,
      [deadLetterHeaders.attempts]: String(cause.attempts),
      [deadLetterHeaders.instance]: cause.instance,
      [deadLetterHeaders.time]: new Date(cause.now).toISOString(),
      [OUTPUT_ID_HEADER]: outputId(record, "dead-letter"),
    },
    input: { topic: record.topic, partition: record.partition, offset: record.offset },
  };
}
