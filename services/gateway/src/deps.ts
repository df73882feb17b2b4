import type { OutgoingEvent } from "@shadow/events";
import type { MigrationProjection, MigrationView } from "@shadow/migration";
import type { Runtime } from "@shadow/runtime";
import type { Verdicts } from "./verdicts.ts";

export interface GatewayDeps {
  runtime: Pick<Runtime, "nodes" | "list">;
  projection: MigrationProjection;
  /** Where a request waits for the log's verdict on it (fed by the projection). */
  verdicts: Pick<Verdicts, "wait">;
  /** How long a request waits for its verdict before a 504; default 15 s. */
  verdictTimeoutMs?: number;
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
