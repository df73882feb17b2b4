import type { ConsumerConfig } from "kafkajs";

/**
 * What every kafkajs consumer of the project sets so that it follows a partition to its new
 * leader when a node dies, within about two seconds of the cluster's failover.
 *
 * Why: kafkajs 2.2.4 stops every fetcher of a consumer when one fetch fails (a connection
 * refused by the dead leader), retries the whole fetch with backoff, and refreshes its metadata
 * before a fetch only when it is older than `metadataMaxAge` (5 minutes by default). So it kept
 * asking the dead node until its retries ran out and it restarted: every partition of the
 * consumer, not only the dead node's, stood still for 10-30 s after the cluster had moved the
 * leadership. With metadata at most 2 s old and retries at most 2 s apart (for about a minute),
 * the first retry after the failover finds the new leader.
 */
export const resilientConsumer = {
  metadataMaxAge: 2_000,
  retry: { initialRetryTime: 300, maxRetryTime: 2_000, retries: 30 },
} as const satisfies Pick<ConsumerConfig, "metadataMaxAge" | "retry">;
