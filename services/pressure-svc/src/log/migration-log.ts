import { followMigrationsLog } from "@shadow/host";
import { MigrationProjection, type MigrationView } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { Kafka } from "kafkajs";
import type { MigrationRecord } from "../policy/types.ts";
import { recordOf } from "./records.ts";

/** The migrations the log holds, as the policy needs them. */
export interface MigrationLog {
  /**
   * Every migration the log holds up to the moment of the call: it waits until the fold has
   * read every record written before it (this service's own requests included), so what the
   * policy counts as under way is what the log says, not what this process remembers.
   */
  upToDate(): Promise<MigrationRecord[]>;
  /** Calls `listener` with every migration that ends (completed, rolled back, refused). */
  onEnded(listener: (view: MigrationView) => void): () => void;
  stop(): Promise<void>;
}

/**
 * Folds the migrations topic from its beginning in a consumer group of this process alone, as
 * the gateway's projection does: every start rebuilds what is under way from the log.
 */
export async function followMigrations(
  kafka: Kafka,
  logger: Logger,
  waitMs = 30_000,
): Promise<MigrationLog> {
  const projection = new MigrationProjection();
  const ended = new Set<(view: MigrationView) => void>();
  const wasActive = new Map<string, boolean>();
  projection.subscribe((view) => {
    const active = recordOf(view).active;
    const before = wasActive.get(view.migrationId);
    wasActive.set(view.migrationId, active);
    if (before === true && !active) for (const listener of ended) listener(view);
  });

  const feed = await followMigrationsLog(kafka, {
    groupPrefix: "shadow.pressure-svc.log",
    onEvent: (event, position) => projection.apply(event, position),
  });
  const readUpTo = async (limitMs: number): Promise<MigrationRecord[]> => {
    await feed.readToEnd(limitMs);
    return projection.list().map(recordOf);
  };

  // At start the whole log is read, however long it is: nothing is decided before (a busy
  // machine took over 30 s for a shared broker's log, and a deadline here only restarted it).
  const started = Date.now();
  await readUpTo(Number.POSITIVE_INFINITY);
  logger.info(
    { migrations: projection.list().length, ms: Date.now() - started },
    "migrations log read up to its end",
  );
  return {
    upToDate: () => readUpTo(waitMs),
    onEnded(listener) {
      ended.add(listener);
      return () => ended.delete(listener);
    },
    stop: feed.stop,
  };
}
