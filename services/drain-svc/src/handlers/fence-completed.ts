import {
  type FenceCompleted,
  IdentitySwapRequested,
  MigrationCompleted,
  SourceDrained,
} from "@shadow/events";
import { baseOf, emit, failed, type Incoming, type Outgoing } from "@shadow/migration";
import type { z } from "zod";
import type { DrainDeps } from "../deps.ts";

type Data = z.infer<typeof FenceCompleted.schema>;

/**
 * The `to` side serves alone: stop and remove the `from` side. After round 1 of an identity
 * swap the named instance is recreated on the target from the shadow (round 2); otherwise the
 * migration is complete.
 */
export async function onFenceCompleted(
  event: Incoming<Data>,
  deps: DrainDeps,
): Promise<Outgoing[]> {
  const d = event.data;
  const started = deps.now();
  try {
    if (await deps.runtime.inspect(d.handoff.from.instance)) {
      await deps.runtime.remove(d.handoff.from.instance);
    }
  } catch (error) {
    return [failed(d, "drain", error)];
  }
  const drained = emit(SourceDrained, {
    ...baseOf(d),
    handoff: d.handoff,
    drainMs: deps.now() - started,
  });
  if (d.identitySwap && d.handoff.round === 1) {
    return [
      drained,
      emit(IdentitySwapRequested, {
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
    emit(MigrationCompleted, {
      ...baseOf(d),
      final: d.handoff.to,
      totalMs: Math.max(0, deps.now() - Date.parse(d.requestedAt)),
    }),
  ];
}
