import { lagBehindSource, type PartitionOffset } from "@shadow/contract";
import type { DataOf } from "@shadow/events";
import { outgoing, ShadowCaughtUp, type ShadowRestored } from "@shadow/events";
import { baseOf } from "@shadow/migration";
import type { CatchUpDeps } from "./deps.ts";

/** The shadow re-reads its source's committed progress every 100 ms by default. */
const SETTLE_MS = 500;

const same = (a: PartitionOffset[], b: PartitionOffset[]) =>
  a.length === b.length &&
  a.every((p) =>
    b.some((q) => q.topic === p.topic && q.partition === p.partition && q.offset === p.offset),
  );

/** Whether the instance is gone for good: not there, or its process stopped. */
export async function isGone(deps: CatchUpDeps, instance: string): Promise<boolean> {
  const info = await deps.runtime.inspect(instance).catch(() => undefined);
  return !info || info.state === "stopped";
}

/** The dead source's last committed progress, as its shadow read it, and the shadow's own. */
export interface LostSourceCut {
  cut: PartitionOffset[];
  shadowOffsets: PartitionOffset[];
}

/**
 * Reads the gone source's last committed progress through its shadow (which follows the
 * source's consumer group), once the dead source can no longer move it: two equal readings
 * after a settle. The source committed only offsets whose outputs were acknowledged, so nothing
 * at or below that cut is lost; what it produced beyond its last commit (at most one commit
 * interval's outputs and those in flight) the shadow produces again: a failover's bounded
 * duplicates.
 */
export async function readLostSourceCut(
  migrationId: string,
  shadowInstance: string,
  deps: CatchUpDeps,
): Promise<LostSourceCut> {
  let previous: PartitionOffset[] | undefined;
  const deadline = deps.now() + deps.catchUpTimeoutMs;
  for (;;) {
    await deps.sleep(SETTLE_MS);
    const shadow = await deps.progress(shadowInstance);
    const cut = shadow.sourceCommitted ?? [];
    if (cut.length > 0 && previous && same(previous, cut)) {
      return { cut, shadowOffsets: shadow.offsets };
    }
    previous = cut;
    if (deps.now() > deadline)
      throw new Error(
        `migration ${migrationId}: the source is gone and its committed progress unknown to the shadow`,
      );
  }
}

/**
 * The source died while its shadow replays: the shadow is the last live copy of the state, a
 * warm standby, so it is promoted instead of removed. The cut is the source's last committed
 * progress (readLostSourceCut).
 */
export async function failoverCaughtUp(
  d: DataOf<typeof ShadowRestored>,
  deps: CatchUpDeps,
  started: number,
) {
  const { cut, shadowOffsets } = await readLostSourceCut(
    d.migrationId,
    d.handoff.to.instance,
    deps,
  );
  deps.log?.info(
    { migrationId: d.migrationId, source: d.handoff.from.instance, cut },
    "source gone: failing over to the shadow",
  );
  return outgoing(ShadowCaughtUp, {
    ...baseOf(d),
    handoff: d.handoff,
    lagBehindSource: lagBehindSource(cut, shadowOffsets),
    sourceOffsets: cut,
    shadowOffsets,
    replayMs: deps.now() - started,
    sourceLost: true,
  });
}
