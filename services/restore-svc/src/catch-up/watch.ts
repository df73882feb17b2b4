import { lagBehindSource } from "@shadow/contract";
import type { ShadowRestored } from "@shadow/events";
import { type OutgoingEvent, outgoing, ShadowCaughtUp, TerminalError } from "@shadow/events";
import { baseOf, failed } from "@shadow/migration";
import { InstanceGoneError } from "@shadow/runtime";
import type { z } from "zod";
import type { CatchUpDeps, InstanceProgress } from "../deps.ts";
import { CatchUpConvergence } from "./converge.ts";

const PROGRESS_EVERY_MS = 5_000;

export class CatchUpTimeoutError extends TerminalError {
  constructor(migrationId: string, lag: number, timeoutMs: number) {
    super(`shadow still ${lag} records behind the source after ${timeoutMs} ms`, {
      migrationId,
      code: "CATCH_UP_TIMEOUT",
    });
  }
}

/**
 * Watches the shadow replay the log until it is close enough to the source that the fence
 * costs only a few milliseconds (then ShadowCaughtUp: fence-svc asks for the cut), or until the
 * catch-up fails (MigrationFailed). Runs beside the consumer, never inside a handler: a catch-up
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
  const convergence = new CatchUpConvergence({ windowMs: deps.convergeWindowMs });
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
        elapsedMs: deps.now() - startedAt,
      },
      "catch-up progress",
    );
  };
  try {
    while (!stopped()) {
      let polled: [InstanceProgress, InstanceProgress] | undefined;
      try {
        polled = await Promise.all([
          deps.progress(d.handoff.from.instance),
          deps.progress(d.handoff.to.instance),
        ]);
      } catch (error) {
        // A status poll an overloaded instance did not answer is not a failed catch-up; only an
        // instance that is gone ends the watch before its deadline.
        if (error instanceof InstanceGoneError) throw error;
        unanswered += 1;
      }
      if (polled) {
        const [source, shadow] = polled;
        lag = lagBehindSource(source.offsets, shadow.offsets);
        if (lag <= deps.catchUpThreshold) {
          const cap = convergence.cap;
          return [
            outgoing(ShadowCaughtUp, {
              ...baseOf(d),
              handoff: d.handoff,
              lagBehindSource: lag,
              sourceOffsets: source.offsets,
              shadowOffsets: shadow.offsets,
              replayMs: Math.max(0, deps.now() - startedAt),
              ...(cap !== undefined ? { sourceCpuLimit: cap } : {}),
            }),
          ];
        }
        const cap = convergence.observe(deps.now(), lag);
        if (cap !== undefined) {
          deps.log?.info({ migrationId: d.migrationId, lag, sourceCpuLimit: cap }, "source slowed");
          await deps.runtime.limitCpu(d.handoff.from.instance, cap);
        }
      }
      report();
      if (deps.now() - startedAt > deps.catchUpTimeoutMs) {
        throw new CatchUpTimeoutError(d.migrationId, lag, deps.catchUpTimeoutMs);
      }
      await deps.sleep(deps.pollIntervalMs);
    }
    return [];
  } catch (error) {
    return [failed(d, "catch-up", error)];
  }
}
