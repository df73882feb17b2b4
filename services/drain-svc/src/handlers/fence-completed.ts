import {
  type FenceCompleted,
  IdentitySwapRequested,
  type IncomingEvent,
  MigrationCompleted,
  type OutgoingEvent,
  outgoing,
  SourceDrained,
} from "@shadow/events";
import { baseOf, isOwnShadow, runStep } from "@shadow/migration";
import type { DrainDeps } from "../deps.ts";

/**
 * The `to` side serves alone: it gets a serving instance's CPU weight (it was restored as a
 * shadow, which yields), then the `from` side is stopped and removed. After round 1 of an identity
 * swap the named instance is recreated on the target from the shadow (round 2); otherwise the
 * migration is complete.
 */
export async function onFenceCompleted(
  event: IncomingEvent<typeof FenceCompleted.type>,
  deps: DrainDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const started = deps.now();
  const step = { step: "drain", phase: "drain", startedAt: event.time } as const;
  // Past the fence nothing is rolled back, so no compensation releases what the migration made:
  // a drain that fails for good releases it here, as a completed migration does.
  const onFailure = () => deps.runtime.release(d.migrationId);
  return runStep(deps.step, { ...step, data: d, onFailure }, async () => {
    await deps.runtime.setCpuPriority(d.handoff.to.instance, "serving");
    const from = await deps.runtime.inspect(d.handoff.from.instance);
    // Round 2 drains a shadow (this migration's, or for a name restore the one it renames),
    // never an instance of that name made since.
    const ours = d.handoff.round === 1 || (from !== undefined && isOwnShadow(d.workload, from));
    if (from && ours) await deps.runtime.remove(d.handoff.from.instance);
    return drainedEvents(d, deps, started);
  });
}

async function drainedEvents(
  d: IncomingEvent<typeof FenceCompleted.type>["data"],
  deps: DrainDeps,
  started: number,
): Promise<OutgoingEvent[]> {
  const drained = outgoing(SourceDrained, {
    ...baseOf(d),
    handoff: d.handoff,
    drainMs: deps.now() - started,
  });
  if (d.identitySwap && d.handoff.round === 1) {
    return [
      drained,
      outgoing(IdentitySwapRequested, {
        ...baseOf(d),
        handoff: {
          round: 2,
          from: d.handoff.to,
          to: { instance: d.workload, node: d.handoff.to.node },
        },
      }),
    ];
  }
  await deps.runtime.release(d.migrationId).catch(() => undefined);
  return [
    drained,
    outgoing(MigrationCompleted, {
      ...baseOf(d),
      final: d.handoff.to,
      totalMs: Math.max(0, deps.now() - Date.parse(d.requestedAt)),
    }),
  ];
}
