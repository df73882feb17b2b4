import { CONTROL_CLOCK_MARGIN_MS } from "@shadow/contract";
import type { FenceBase } from "./fence-base.ts";
import { hasEnded, type LogMemory } from "./memory.ts";
import type { Readings } from "./transition.ts";

/**
 * Why a FenceRequested that names this copy as its source (workload, instance and node) is not
 * for the migration under way for it, or undefined when it is. The events carry no incarnation,
 * so what stands for one is what the copy knows: its identity file (the migration that made it,
 * and when it took that identity) and what it read on the control log. Any refusal is safe: a
 * fence of the migration really under way that is refused here ends in that migration's
 * rollback (no cut, no hand-over), never in a stalled or doubled workload.
 */
export function refusalOf(
  memory: LogMemory,
  data: FenceBase,
  readings: Readings,
): string | undefined {
  const me = readings.identity;
  const { migrationId } = data;
  const round = data.handoff.round;
  if (hasEnded(memory, migrationId, round)) {
    return `migration ${migrationId} round ${round} already ended (its FenceCompleted, FenceAborted or hand-over was read)`;
  }
  const requestedAt = Date.parse(data.requestedAt);
  if (memory.latestRequestedAt !== undefined && requestedAt < memory.latestRequestedAt) {
    return `migration ${migrationId} was requested before one this copy already took part in`;
  }
  if (me.migrationId === migrationId && round === 1) {
    // A copy made by a migration is the target of its first round, never its source.
    return `this copy was made by migration ${migrationId}`;
  }
  if (
    me.migrationId !== migrationId &&
    requestedAt < readings.identitySince - CONTROL_CLOCK_MARGIN_MS
  ) {
    // Its checkpoint was taken of an earlier incarnation: this one was not there to be dumped.
    return `migration ${migrationId} was requested before this incarnation took its identity`;
  }
  return undefined;
}
