import { setTimeout as sleep } from "node:timers/promises";
import {
  type DataOf,
  type IncomingEvent,
  MigrationCompleted,
  type MigrationFailed,
  type OutgoingEvent,
  outgoing,
  RolledBack,
} from "@shadow/events";
import { baseOf, isOwnShadow } from "@shadow/migration";
import type { RestoreDeps } from "../deps.ts";
import { servingCopy } from "../serving-copy.ts";

/** Steps after which the `to` side serves alone: from there a migration rolls forward. */
const pastTheFence = new Set(["drain"]);

/**
 * Compensates restore-svc's own step: the copy it started is removed, and the `from` side,
 * which never stopped serving (or resumes from its cut, by fence-svc's FenceAborted), stays.
 * The migration's checkpoints and images go too, as a completed migration's do. The record
 * names the copy found serving afterwards, as the runtime has it, not the one the migration
 * started from: something else may have happened to the workload meanwhile.
 */
export async function onMigrationFailed(
  event: IncomingEvent<typeof MigrationFailed.type>,
  deps: RestoreDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  // Its catch-up, if one is watched, ends here: nothing more is sent for it.
  deps.catchUps.stop(d.migrationId);
  if (!d.handoff || pastTheFence.has(d.step)) return [];
  const compensated: string[] = [];
  // The `from` side serves on: at full speed again if the catch-up had slowed it.
  if (d.step === "catch-up" || d.step === "fence") {
    const from = await deps.runtime.inspect(d.handoff.from.instance);
    if (from?.state === "running") await deps.runtime.limitCpu(d.handoff.from.instance, undefined);
  }
  // A fence can fail (its deadline, say) after its shadow passed the cut: whether the pass or
  // the abort came first in the control log decides, and the shadow knows, once it read both.
  if (d.step === "fence" && (await fenceVerdict(d, deps)) === "primary") {
    return rollForward(event, deps);
  }
  const copy = await deps.runtime.inspect(d.handoff.to.instance);
  const from = await deps.runtime.inspect(d.handoff.from.instance);
  // The last live copy of the workload's state is never removed: with the source gone, the copy
  // this migration restored stays (a warm standby, as the failover would have promoted it).
  const others = (await deps.runtime.list()).filter(
    (i) => i.workload === d.workload && i.state === "running" && i.instance !== copy?.instance,
  );
  const lastLive =
    copy?.state === "running" && (!from || from.state === "stopped") && others.length === 0;
  if (lastLive) {
    compensated.push(
      `kept ${d.handoff.to.instance} on ${d.handoff.to.node}: ${d.handoff.from.instance} is gone and it holds the last live copy`,
    );
  } else if (copy && copy.identity.migrationId === d.migrationId) {
    // Only a copy this migration made: names come back (the identity swap reuses the
    // workload's), and a late failure must never remove an instance another migration created.
    await deps.runtime.remove(d.handoff.to.instance);
    compensated.push(`removed ${d.handoff.to.instance} from ${d.handoff.to.node}`);
  }
  // With the source gone its checkpoint is the state's only other copy: kept with the shadow.
  if (!lastLive) compensated.push(await releaseArtifacts(deps, d.migrationId));
  const serving = await servingCopy(
    deps.runtime,
    d.workload,
    lastLive ? d.handoff.to.instance : d.handoff.from.instance,
  );
  // Round 2 of an identity swap runs after the workload moved: its failure leaves it serving on
  // the target under its shadow's name. That is the migration's end, with the swap's failure
  // said, not a rollback (nothing went back to the source). A name restore is round 2 alone:
  // its failure leaves the workload as it was, a rollback.
  if (d.handoff.round === 2 && !d.nameRestore && serving?.node === d.handoff.to.node) {
    return [
      outgoing(MigrationCompleted, {
        ...baseOf(d),
        final: serving,
        totalMs: totalMsAt(event),
        swapFailure: `${d.step} failed: ${d.reason}`.slice(0, 2000),
      }),
    ];
  }
  return [
    outgoing(RolledBack, {
      ...baseOf(d),
      reason: `${d.step} failed: ${d.reason}`.slice(0, 2000),
      compensated,
      ...(serving ? { servingInstance: serving } : {}),
    }),
  ];
}

/** Attempts at releasing a rolled-back migration's artifacts before the rollback ends without. */
const RELEASE_ATTEMPTS = 3;
const RELEASE_BACKOFF_MS = 500;

/**
 * Releases the migration's checkpoints and images, and says how that went. A release that keeps
 * failing (a node's agent down or refusing this process) must not keep the rollback from
 * ending: the workload serves, and a rollback that never ends would hold the workload's next
 * migration off for good. What was left is named in the record for an operator to release.
 */
async function releaseArtifacts(deps: RestoreDeps, migrationId: string): Promise<string> {
  let last: unknown;
  for (let attempt = 1; attempt <= RELEASE_ATTEMPTS; attempt++) {
    try {
      await deps.runtime.release(migrationId);
      return "released its checkpoints and images";
    } catch (error) {
      last = error;
      if (attempt < RELEASE_ATTEMPTS) await sleep(RELEASE_BACKOFF_MS * 2 ** (attempt - 1));
    }
  }
  const reason = last instanceof Error ? last.message : String(last);
  return `left its checkpoints and images after ${RELEASE_ATTEMPTS} failed releases (${reason}): release them with the runtime once the nodes answer`;
}

const FENCE_VERDICT_TIMEOUT_MS = 10_000;
const FENCE_VERDICT_POLL_MS = 200;

/**
 * The shadow's own reading of its fence, once it has one: `primary` when its FencePassed came
 * before any FenceAborted in the control log, `idle` when an abort came first (FenceAborted is
 * on its way from fence-svc, which answers the same MigrationFailed). Undefined when it cannot
 * tell in time, is gone, or this migration made no copy: the rollback goes on as before.
 */
async function fenceVerdict(
  d: DataOf<typeof MigrationFailed>,
  deps: RestoreDeps,
): Promise<"primary" | "idle" | undefined> {
  const { progress } = deps;
  const to = d.handoff?.to.instance;
  if (!progress || !to) return undefined;
  const copy = await deps.runtime.inspect(to);
  if (copy?.state !== "running" || copy.identity.migrationId !== d.migrationId) return undefined;
  const deadline = Date.now() + (deps.fenceVerdictTimeoutMs ?? FENCE_VERDICT_TIMEOUT_MS);
  while (Date.now() < deadline) {
    const mode = await progress(to).then(
      (p) => p.mode,
      () => undefined,
    );
    if (mode === "primary" || mode === "idle") return mode;
    await sleep(FENCE_VERDICT_POLL_MS);
  }
  return undefined;
}

/**
 * The shadow passed its cut before the fence's failure reached the control log: it is the
 * primary, and its source, handed over, stays fenced at its cut for good. So the migration rolls
 * forward, as a drain would: the source goes, and the migration ends with the shadow serving.
 * With an identity swap, round 2 is not run: the name is not restored, and the record says so.
 */
async function rollForward(
  event: IncomingEvent<typeof MigrationFailed.type>,
  deps: RestoreDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const handoff = d.handoff;
  if (!handoff) return [];
  const from = await deps.runtime.inspect(handoff.from.instance);
  // Round 2's `from` is a shadow (this migration's, or the one a name restore renames), never an
  // instance of that name made since.
  const ours = handoff.round === 1 || (from !== undefined && isOwnShadow(d.workload, from));
  if (from && ours) await deps.runtime.remove(handoff.from.instance);
  await releaseArtifacts(deps, d.migrationId);
  const reason = `${d.step} failed after the shadow passed its cut: ${d.reason}`;
  return [
    outgoing(MigrationCompleted, {
      ...baseOf(d),
      final: handoff.to,
      totalMs: totalMsAt(event),
      ...(d.identitySwap && handoff.round === 1
        ? { swapFailure: `${reason}; round 2 not run`.slice(0, 2000) }
        : {}),
    }),
  ];
}

/** From the request to the failure that ended the migration, as the log times them. */
function totalMsAt(event: IncomingEvent<typeof MigrationFailed.type>): number {
  return Math.max(0, Date.parse(event.time ?? "") - Date.parse(event.data.requestedAt)) || 0;
}
