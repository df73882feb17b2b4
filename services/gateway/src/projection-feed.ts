import { followMigrationsLog } from "@shadow/host";
import type { MigrationProjection } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { Kafka } from "kafkajs";

/**
 * Keeps the projection current by reading the migrations topic from its beginning. The group
 * is this process's own, so every start rebuilds the views from the log: the log is the only
 * source of truth, the gateway stores nothing. `caughtUp` resolves once the log as it was at
 * start has been folded: before that, the views (and the verdicts requests wait for) are partial.
 * The projection folds by partition and offset, as every service's ledger does, so a record
 * handed over again changes nothing.
 */
export async function feedProjection(
  kafka: Kafka,
  projection: MigrationProjection,
  logger: Logger,
) {
  const feed = await followMigrationsLog(kafka, {
    groupPrefix: "shadow.gateway.projection",
    onEvent: (event, position) => projection.apply(event, position),
    onInvalid: (invalid) => logger.warn(invalid, "projection skipped an invalid event"),
  });
  return { caughtUp: feed.caughtUp, stop: feed.stop };
}
