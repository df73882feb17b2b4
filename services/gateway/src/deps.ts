import type { OutgoingEvent } from "@shadow/events";
import type { MigrationProjection, MigrationView } from "@shadow/migration";
import type { Runtime } from "@shadow/runtime";
import type { MigrationSamples } from "@shadow/timeline";
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
  /** The trace UI to link a migration's trace into (SHADOW_TRACE_UI_URL); none: no link. */
  traceUiUrl?: string;
  /** What was sampled of a migration while it ran (its copies' progress), for its timeline. */
  samplesOf?(migrationId: string): MigrationSamples | undefined;
  /** How far `to` is behind `from` now, in records (read from both instances). */
  lagNow?(handoff: MigrationView["handoff"]): Promise<number>;
}
