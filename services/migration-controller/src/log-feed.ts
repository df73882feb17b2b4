import { followMigrationsLog } from "@shadow/host";
import type { MigrationProjection } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { Kafka } from "kafkajs";

/**
 * Keeps the projection current by reading the migrations topic from its beginning, as the
 * gateway does: in a consumer group of this process's own, so every start folds the whole log
 * again and the controller stores nothing of its own. `caughtUp` resolves once the log as it was
 * at start has been folded: before that, a Migration could be asked for a second time.
 */
export async function followLog(kafka: Kafka, projection: MigrationProjection, logger: Logger) {
  const feed = await followMigrationsLog(kafka, {
    groupPrefix: "shadow.migration-controller.projection",
    // Folded at its place in the log: a replayed or late event changes no view.
    onEvent: (event, position) => projection.apply(event, position),
    onInvalid: (invalid) => logger.debug(invalid, "projection skipped an invalid event"),
  });
  return { caughtUp: feed.caughtUp, stop: feed.stop };
}
