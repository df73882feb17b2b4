import { lagBehindSource } from "@shadow/contract";
import {
  type IncomingEvent,
  type OutgoingEvent,
  outgoing,
  ShadowCaughtUp,
  type ShadowRestored,
} from "@shadow/events";
import { baseOf, failed } from "@shadow/migration";
import { InstanceGoneError } from "@shadow/runtime";
import { CatchUpConvergence } from "../converge.ts";
import type { InstanceProgress, RestoreDeps } from "../deps.ts";

const PROGRESS_EVERY_MS = 5_000;

export class CatchUpTimeoutError extends Error {
  readonly code = "CATCH_UP_TIMEOUT";
  constructor(
    readonly migrationId: string,
    lag: number,
    timeoutMs: number,
  ) {
    super(`shadow still ${lag} records behind the source after ${timeoutMs} ms`);
    this.name = "CatchUpTimeoutError";
  }
}

/**
 * Watches the shadow replay the log until it is close enough to the source that the fence
 * costs only a few milliseconds; fence-svc asks for the cut only then. Reacting to its own
 * event makes the watch survive a restart: the uncommitted event is redelivered.
 */
export async function onShadowRestored(
  event: IncomingEvent<typeof ShadowRestored.type>,
  deps: RestoreDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const started = deps.now();
  if (d.strategy === "sequential") {
    // The source is stopped; the copy is primary already. There is nothing to catch up with.
    return [
      outgoing(ShadowCaughtUp, {
        ...baseOf(d),
        handoff: d.handoff,
        lagBehindSource: 0,
        sourceOffsets: [],
        shadowOffsets: [],
        replayMs: 0,
      }),
    ];
  }
  let lag = Number.POSITIVE_INFINITY;
  const convergence = new CatchUpConvergence({ windowMs: deps.convergeWindowMs });
  // Progress every few seconds: a long catch-up (a 1 GB image under load) is otherwise silent
  // until it ends, and a timeout says only where it stopped.
  let unanswered = 0;
  let reportedAt = started;
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
  try {
    for (;;) {
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
      }
      if (!polled) {
        unanswered += 1;
        report();
        if (deps.now() - started > deps.catchUpTimeoutMs) {
          throw new CatchUpTimeoutError(d.migrationId, lag, deps.catchUpTimeoutMs);
        }
        await deps.sleep(deps.pollIntervalMs);
        continue;
      }
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
            replayMs: deps.now() - started,
            ...(cap !== undefined ? { sourceCpuLimit: cap } : {}),
          }),
        ];
      }
      const cap = convergence.observe(deps.now(), lag);
      if (cap !== undefined) {
        deps.log?.info({ migrationId: d.migrationId, lag, sourceCpuLimit: cap }, "source slowed");
        await deps.runtime.limitCpu(d.handoff.from.instance, cap);
      }
      report();
      if (deps.now() - started > deps.catchUpTimeoutMs) {
        throw new CatchUpTimeoutError(d.migrationId, lag, deps.catchUpTimeoutMs);
      }
      await deps.sleep(deps.pollIntervalMs);
    }
  } catch (error) {
    return [failed(d, "catch-up", error)];
  }
}
