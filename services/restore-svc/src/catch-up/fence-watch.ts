import { lagBehindSource } from "@shadow/contract";
import type { DataOf, ShadowCaughtUp } from "@shadow/events";
import { type OutgoingEvent, outgoing, SourceLost, TerminalError } from "@shadow/events";
import { baseOf, failed } from "@shadow/migration";
import { InstanceGoneError } from "@shadow/runtime";
import type { CatchUpDeps } from "../deps.ts";
import { isGone, readLostSourceCut } from "../failover.ts";
import { TargetNodeCheck, TargetNotReadyError } from "./target-node.ts";

/** How often the source and the shadow are looked at during a fence. */
const FENCE_POLL_MS = 100;
/** Default for SHADOW_FENCE_SHADOW_SILENCE_MS. */
const SHADOW_SILENCE_MS = 5_000;

/** The shadow died or froze during its fence: it cannot pass the cut, the source resumes. */
export class ShadowLostError extends TerminalError {
  constructor(migrationId: string, shadow: string, why: string) {
    super(`shadow ${shadow} ${why} during the fence`, { migrationId, code: "SHADOW_LOST" });
  }
}

/**
 * Watches both copies from the shadow's catch-up until the fence ends.
 *
 * The source killed after ShadowCaughtUp and before its cut is in the log (or its node lost)
 * can no longer answer FenceRequested; left alone, the fence would wait for its deadline and
 * roll back, leaving the shadow, the last live copy, idle. So once the source is gone and the
 * shadow alive, this reads the source's committed progress through the shadow and emits
 * SourceLost: fence-svc gives that as the source's cut.
 *
 * The shadow gone, or silent on `/status` for `shadowSilenceMs`, can no longer pass the cut,
 * and the source would stay paused at it until the fence's deadline (30 s by default): the
 * fence fails at once instead, fence-svc aborts it, and the source resumes from its cut. So
 * does a target node that stops being Ready (target-node.ts): a shadow promoted there would
 * go with the node's evicted pods.
 *
 * `fencing` says whether the fence is still under way in the log as this service folded it. It
 * is asked again before anything is sent: a drain removes the source right after
 * FenceCompleted, and that gone source is no loss.
 */
export async function watchFence(
  d: DataOf<typeof ShadowCaughtUp>,
  deps: CatchUpDeps,
  fencing: () => boolean,
): Promise<OutgoingEvent[]> {
  const { from, to } = d.handoff;
  const silenceMs = deps.shadowSilenceMs ?? SHADOW_SILENCE_MS;
  let shadowAnsweredAt = deps.now();
  const target = new TargetNodeCheck(deps, to.node);
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
    const why = await shadowTrouble();
    if (why !== undefined && fencing()) {
      return [failed(d, "fence", new ShadowLostError(d.migrationId, to.instance, why))];
    }
    const notReady = await target.trouble();
    if (notReady !== undefined && fencing()) {
      return [failed(d, "fence", new TargetNotReadyError(d.migrationId, to.node, notReady))];
    }
    await deps.sleep(FENCE_POLL_MS);
  }
  return [];

  /** Why the shadow can no longer pass the cut, if it cannot. */
  async function shadowTrouble(): Promise<string | undefined> {
    try {
      await deps.progress(to.instance);
      shadowAnsweredAt = deps.now();
      return undefined;
    } catch (error) {
      if (error instanceof InstanceGoneError && error.instance === to.instance) return "gone";
      const silent = deps.now() - shadowAnsweredAt;
      return silenceMs > 0 && silent >= silenceMs
        ? `silent on /status for ${Math.round(silent)} ms`
        : undefined;
    }
  }
}
