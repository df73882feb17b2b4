import { lagBehindSource } from "@shadow/contract";
import type { DataOf, ShadowCaughtUp } from "@shadow/events";
import { type OutgoingEvent, outgoing, SourceLost } from "@shadow/events";
import { baseOf } from "@shadow/migration";
import type { CatchUpDeps } from "../deps.ts";
import { isGone, readLostSourceCut } from "../failover.ts";

/**
 * Watches the source from its shadow's catch-up until the fence ends. A source killed after
 * ShadowCaughtUp and before its cut is in the log (or with its node lost) can no longer answer
 * FenceRequested; left alone, the fence would wait for its deadline and roll back, leaving the
 * shadow, the last live copy, idle. So once the source is gone and the shadow alive, this reads
 * the source's committed progress through the shadow and emits SourceLost: fence-svc gives that
 * as the source's cut. `fencing` says whether the fence is still under way in the log as this
 * service folded it; it is asked again after the settle, because a drain removes the source
 * right after FenceCompleted, and that gone source is no loss.
 */
export async function watchSourceThroughFence(
  d: DataOf<typeof ShadowCaughtUp>,
  deps: CatchUpDeps,
  fencing: () => boolean,
): Promise<OutgoingEvent[]> {
  const { from, to } = d.handoff;
  while (fencing()) {
    if (await isGone(deps, from.instance)) {
      // Nothing to promote: the fence's deadline ends the migration as before.
      if (await isGone(deps, to.instance)) return [];
      let read: Awaited<ReturnType<typeof readLostSourceCut>>;
      try {
        read = await readLostSourceCut(d.migrationId, to.instance, deps);
      } catch (error) {
        // The shadow never showed the source's progress settled: the fence's deadline decides.
        deps.log?.info(
          { migrationId: d.migrationId, error: (error as Error).message },
          "source gone during the fence, its cut unknown",
        );
        return [];
      }
      const { cut, shadowOffsets } = read;
      if (!fencing()) return [];
      deps.log?.info(
        { migrationId: d.migrationId, source: from.instance, cut },
        "source gone during the fence: its committed progress is the cut",
      );
      return [
        outgoing(SourceLost, {
          ...baseOf(d),
          handoff: d.handoff,
          cut,
          shadowOffsets,
          lagBehindSource: lagBehindSource(cut, shadowOffsets),
        }),
      ];
    }
    await deps.sleep(deps.pollIntervalMs);
  }
  return [];
}
