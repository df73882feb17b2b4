import {
  type IncomingEvent,
  type OutgoingEvent,
  outgoing,
  ShadowCaughtUp,
  type ShadowRestored,
} from "@shadow/events";
import { baseOf, failed } from "@shadow/migration";
import { InstanceGoneError, lagBehindSource } from "@shadow/runtime";
import { CatchUpConvergence } from "../converge.ts";
import type { InstanceProgress, RestoreDeps } from "../deps.ts";
import { ReplayMeter } from "../replay-meter.ts";

const PROGRESS_EVERY_MS = 5_000;
/** How often a post-copy copy's memory is asked after while its pages arrive. */
const MEMORY_EVERY_MS = 250;

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
 * A post-copy copy lost its page source before every page arrived: the runtime stopped it, since
 * the pages it never got would read as zeros. Nothing of it may serve.
 */
export class PostCopyFailedError extends Error {
  readonly code = "POST_COPY_FAILED";
  constructor(
    readonly migrationId: string,
    instance: string,
  ) {
    super(`the page source of ${instance} went away before every page arrived`);
    this.name = "PostCopyFailedError";
  }
}

/**
 * Watches the shadow replay the log until it is close enough to the source that the fence
 * costs only a few milliseconds; fence-svc asks for the cut only then. Reacting to its own
 * event makes the watch survive a restart: the uncommitted event is redelivered. A copy
 * restored post-copy is caught up only once all of its memory is in as well.
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
  const meter = new ReplayMeter(started);
  const memory = postCopyWatch(d.postCopy === true, d.migrationId, d.handoff.to.instance, deps);
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
      meter.observe(deps.now(), source, shadow);
      lag = lagBehindSource(source, shadow);
      const memoryMs = await memory.check(started, lag <= deps.catchUpThreshold);
      if (lag <= deps.catchUpThreshold && memoryMs !== undefined) {
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
            ...meter.summary(),
            ...(d.postCopy ? { memoryMs } : {}),
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

/**
 * Where a post-copy copy's memory stands, asked of the runtime every MEMORY_EVERY_MS (and at
 * once when the copy is otherwise caught up). `check` resolves with the ms from the restore to
 * every page in, or undefined while pages still arrive; it throws when they never will.
 */
function postCopyWatch(
  postCopy: boolean,
  migrationId: string,
  instance: string,
  deps: RestoreDeps,
): { check(started: number, urgent: boolean): Promise<number | undefined> } {
  let completeMs: number | undefined = postCopy ? undefined : 0;
  let askedAt = Number.NEGATIVE_INFINITY;
  return {
    async check(started, urgent) {
      if (completeMs !== undefined) return completeMs;
      const now = deps.now();
      if (!urgent && now - askedAt < MEMORY_EVERY_MS) return undefined;
      askedAt = now;
      const info = await deps.runtime.inspect(instance);
      if (!info || info.memory === "failed") throw new PostCopyFailedError(migrationId, instance);
      if (info.memory === "arriving") return undefined;
      completeMs = now - started;
      deps.log?.info({ migrationId, instance, memoryMs: completeMs }, "every page arrived");
      return completeMs;
    },
  };
}
