import { lagBehindSource } from "@shadow/contract";
import type { ShadowRestored } from "@shadow/events";
import { type OutgoingEvent, outgoing, ShadowCaughtUp, TerminalError } from "@shadow/events";
import { baseOf, failed } from "@shadow/migration";
import { InstanceGoneError } from "@shadow/runtime";
import type { z } from "zod";
import type { CatchUpDeps, InstanceProgress } from "../deps.ts";
import { failoverCaughtUp, isGone } from "../failover.ts";
import { decideFence, FenceCost } from "../fence-cost.ts";
import { postCopyWatch } from "../post-copy-watch.ts";
import { processedOf, ReplayMeter } from "../replay-meter.ts";
import { CatchUpConvergence } from "./converge.ts";
import { TargetNodeCheck, TargetNotReadyError } from "./target-node.ts";

const PROGRESS_EVERY_MS = 5_000;
/** Default cap of a stalled catch-up's fence (see SHADOW_FENCE_MAX_EXTRA_MS). */
const MAX_FENCE_EXTRA_MS = 2_000;
/** The budget beyond the checkpoint's pause (see SHADOW_FENCE_BUDGET_MS). */
const FENCE_BUDGET_OVER_PAUSE_MS = 50;

export class CatchUpTimeoutError extends TerminalError {
  constructor(migrationId: string, lag: number, timeoutMs: number) {
    super(
      Number.isFinite(lag)
        ? `shadow still ${lag} records behind the source after ${timeoutMs} ms`
        : // No lag was ever read: the shadow (or the source) never answered its /status.
          `shadow's progress unknown after ${timeoutMs} ms: it never answered /status beside the source's`,
      {
        migrationId,
        code: "CATCH_UP_TIMEOUT",
      },
    );
  }
}

/**
 * Watches the shadow replay the log until it is close enough to the source that the fence
 * costs only a few milliseconds (then ShadowCaughtUp: fence-svc asks for the cut), or until the
 * catch-up fails (MigrationFailed). Caught up means fencing now costs little: the lag is within
 * the record threshold, or replaying it fits the fence budget, or the lag has stopped shrinking
 * and replaying it fits the cap on extra delay (fence-cost.ts). A copy restored post-copy is
 * caught up only once all of its memory is in as well. A gone source with its shadow alive is a
 * failover: the shadow is promoted, never removed. Runs beside the consumer, never inside a handler: a catch-up
 * takes seconds to minutes, and a handler holding its partition that long held back every other
 * migration's restore. `startedAt` is the ShadowRestored's time, so a watch taken up again after
 * a restart keeps its deadline. `stopped` ends it early (the migration failed meanwhile).
 */
export async function watchCatchUp(
  d: z.infer<typeof ShadowRestored.schema>,
  startedAt: number,
  deps: CatchUpDeps,
  stopped: () => boolean,
): Promise<OutgoingEvent[]> {
  let lag = Number.POSITIVE_INFINITY;
  const started = startedAt;
  const convergence = new CatchUpConvergence({ windowMs: deps.convergeWindowMs });
  const meter = new ReplayMeter(started);
  const cost = new FenceCost();
  const budgetMs = deps.fenceBudgetMs ?? (d.pauseMs ?? 0) + FENCE_BUDGET_OVER_PAUSE_MS;
  const maxExtraMs = deps.maxFenceExtraMs ?? MAX_FENCE_EXTRA_MS;
  const memory = postCopyWatch(d.postCopy === true, d.migrationId, d.handoff.to.instance, deps);
  // Progress every few seconds: a long catch-up (a 1 GB image under load) is otherwise silent
  // until it ends, and a timeout says only where it stopped.
  let unanswered = 0;
  let reportedAt = deps.now();
  const report = () => {
    if (deps.now() - reportedAt < PROGRESS_EVERY_MS) return;
    reportedAt = deps.now();
    deps.log?.info(
      {
        migrationId: d.migrationId,
        lag,
        sourceCpuLimit: convergence.cap ?? null,
        unanswered,
        elapsedMs: deps.now() - started,
      },
      "catch-up progress",
    );
  };
  const target = new TargetNodeCheck(deps, d.handoff.to.node);
  try {
    while (!stopped()) {
      const notReady = await target.trouble();
      if (notReady !== undefined)
        throw new TargetNotReadyError(d.migrationId, d.handoff.to.node, notReady);
      let polled: [InstanceProgress, InstanceProgress] | undefined;
      try {
        polled = await Promise.all([
          deps.progress(d.handoff.from.instance),
          deps.progress(d.handoff.to.instance),
        ]);
      } catch (error) {
        // A status poll an overloaded instance did not answer is not a failed catch-up; only an
        // instance that is gone ends the watch before its deadline.
        if (error instanceof InstanceGoneError) {
          if (
            error.instance === d.handoff.from.instance &&
            (await isGone(deps, d.handoff.from.instance)) &&
            !(await isGone(deps, d.handoff.to.instance))
          ) {
            return [await failoverCaughtUp(d, deps, started)];
          }
          throw error;
        }
        unanswered += 1;
      }
      // Measured whether or not the copy answered: a copy held still, or busy replaying on a
      // loaded node, may not answer its status polls for a while, and every page in is then
      // when the pages came, not when it answered again; a dead page source shows too.
      if (!polled) await memory.check(started, false);
      if (polled) {
        const [source, shadow] = polled;
        meter.observe(deps.now(), source, shadow);
        cost.observe(deps.now(), processedOf(shadow, source));
        lag = lagBehindSource(source.offsets, shadow.offsets);
        // A shadow processes no further than its source's committed progress (the SDK's state
        // guarantee), so what it can close is its lag behind that; the rest, the source's
        // commit trail, is replayed after the cut whenever the fence comes.
        const reachable = shadow.sourceCommitted?.length
          ? Math.min(lag, lagBehindSource(shadow.sourceCommitted, shadow.offsets))
          : lag;
        const decision = decideFence({
          lag: reachable,
          threshold: deps.catchUpThreshold,
          estimateMs: cost.estimateMs(reachable),
          budgetMs,
          stalled: convergence.stalled,
          maxExtraMs,
        });
        const memoryMs = await memory.check(started, decision.fence);
        if (decision.fence && memoryMs !== undefined) {
          if (decision.forced) {
            deps.log?.info(
              { migrationId: d.migrationId, lag, extraDelayMs: Math.round(decision.estimateMs) },
              "lag stopped shrinking: fencing anyway",
            );
          }
          const cap = convergence.cap;
          return [
            outgoing(ShadowCaughtUp, {
              ...baseOf(d),
              handoff: d.handoff,
              lagBehindSource: lag,
              sourceOffsets: source.offsets,
              shadowOffsets: shadow.offsets,
              replayMs: Math.max(0, deps.now() - started),
              ...(cap !== undefined ? { sourceCpuLimit: cap } : {}),
              ...meter.summary(),
              ...(d.postCopy ? { memoryMs } : {}),
              ...(Number.isFinite(decision.estimateMs)
                ? { fenceEstimateMs: decision.estimateMs }
                : {}),
              fenceBudgetMs: budgetMs,
              ...(decision.forced ? { forcedFence: true } : {}),
            }),
          ];
        }
        // Close enough to fence, and waiting only for a post-copy copy's last pages: the lag
        // has nothing left to shrink, and slowing the source would only stall it.
        const cap = decision.fence ? undefined : convergence.observe(deps.now(), reachable);
        if (cap !== undefined) {
          deps.log?.info({ migrationId: d.migrationId, lag, sourceCpuLimit: cap }, "source slowed");
          await deps.runtime.limitCpu(d.handoff.from.instance, cap);
        }
      }
      report();
      if (deps.now() - started > deps.catchUpTimeoutMs) {
        throw new CatchUpTimeoutError(d.migrationId, lag, deps.catchUpTimeoutMs);
      }
      await deps.sleep(deps.pollIntervalMs);
    }
    return [];
  } catch (error) {
    return [failed(d, "catch-up", error)];
  }
}
