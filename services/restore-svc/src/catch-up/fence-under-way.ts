import { ShadowCaughtUp, ShadowRestored } from "@shadow/events";
import type { LogLedger } from "@shadow/migration";
import type { FenceUnderWay } from "./watcher.ts";

/**
 * The fence of a migration round is under way, as far as the log folded so far shows: the
 * migration is admitted and its last step is that round's ShadowCaughtUp (or still its
 * ShadowRestored, while the ShadowCaughtUp just sent has not come back). FenceCompleted, a
 * SourceLost, a failure or anything of a later round ends it.
 */
export function fenceUnderWayIn(ledger: Pick<LogLedger, "migration">): FenceUnderWay {
  return (migrationId, round) => {
    const entry = ledger.migration(migrationId);
    if (entry?.stage !== "admitted" || !entry.lastStep) return false;
    const { type, data } = entry.lastStep;
    if (type !== ShadowCaughtUp.type && type !== ShadowRestored.type) return false;
    return (data as { handoff?: { round?: unknown } } | null)?.handoff?.round === round;
  };
}
