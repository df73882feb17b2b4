import type { OutgoingEvent } from "@shadow/events";
import type { MigrationProjection, MigrationView } from "@shadow/migration";
import type { Runtime } from "@shadow/runtime";

export interface GatewayDeps {
  runtime: Pick<Runtime, "nodes" | "list">;
  projection: MigrationProjection;
  /**
   * Emits the MigrationRequested event as the root of the migration's trace; resolves with the
   * trace id once the broker acknowledged it.
   */
  publish(event: OutgoingEvent): Promise<{ traceId?: string }>;
  /** Bearer token every request must carry. */
  token: string;
  newMigrationId(): string;
  now(): Date;
  /** Where a trace can be looked at, e.g. the Jaeger UI; `{traceId}` is replaced. */
  traceLink?: string;
  /** How far `to` is behind `from` now, in records (read from both instances). */
  lagNow?(handoff: MigrationView["handoff"]): Promise<number>;
}
