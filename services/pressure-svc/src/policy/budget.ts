import type { MigrationRecord } from "./types.ts";

/** Migrations under way, counted as the limits count them. */
export interface InFlight {
  total: number;
  from(node: string): number;
  to(node: string): number;
  /** The migration of this workload under way, if any. */
  of(workload: string): MigrationRecord | undefined;
}

/** Counts what the log shows under way, plus the moves decided in this round. */
export function inFlight(
  migrations: readonly MigrationRecord[],
  decided: readonly { sourceNode: string; targetNode: string; workload: string }[] = [],
): InFlight {
  const active = migrations.filter((m) => m.active);
  const all = [...active, ...decided];
  return {
    total: all.length,
    from: (node) => all.filter((m) => m.sourceNode === node).length,
    to: (node) => all.filter((m) => m.targetNode === node).length,
    of: (workload) => active.find((m) => m.workload === workload),
  };
}

/** When the workload's last migration ended, if it ended (ms since epoch). */
export function lastEnded(
  migrations: readonly MigrationRecord[],
  workload: string,
): number | undefined {
  let last: number | undefined;
  for (const m of migrations) {
    if (m.workload !== workload || m.endedAt === undefined) continue;
    if (last === undefined || m.endedAt > last) last = m.endedAt;
  }
  return last;
}
