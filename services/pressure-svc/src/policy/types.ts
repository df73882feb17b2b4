import type { EventData } from "@shadow/events";
import type { ClusterSnapshot } from "../signals/types.ts";
import type { Condition } from "./conditions.ts";
import type { PolicyConfig } from "./config.ts";

/** A migration as the log shows it: what the budgets and the cooldown count. */
export interface MigrationRecord {
  migrationId: string;
  workload: string;
  sourceNode: string;
  targetNode: string;
  /** Under way (requested, not ended, not refused). */
  active: boolean;
  requestedAt: number;
  /** When it completed, rolled back or was refused (ms since epoch). */
  endedAt?: number;
}

/** Everything one decision is made from; nothing else, so the same input decides the same. */
export interface DecisionInput {
  /** The node's condition being answered. */
  condition: Condition;
  /** Every condition that holds now: a node with one is no target. */
  conditions: readonly Condition[];
  snapshot: ClusterSnapshot;
  /** Every migration the log holds, up to now. */
  migrations: readonly MigrationRecord[];
  config: PolicyConfig;
  now: Date;
  /** The id of the migration that would move `workload` now (deterministic, for replays). */
  migrationIdFor(workload: string): string;
}

export type DecisionCode = EventData<"io.shadow.node.pressure.decided.v1">["code"];

/** One decision: a migration to start, or nothing and why. */
export interface Decision {
  node: string;
  kind: Condition["kind"];
  code: DecisionCode;
  reason: string;
  value: number;
  threshold: number;
  /** For `MIGRATE`: what moves where, and the request that starts it. */
  migration?: {
    migrationId: string;
    workload: string;
    instance: string;
    targetNode: string;
    reliefBytes: number;
    request: EventData<"io.shadow.migration.requested.v1">;
  };
  passedOver: { workload: string; why: string }[];
}
