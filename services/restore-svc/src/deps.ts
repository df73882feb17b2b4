import type { IncomingEvent, ShadowRestored } from "@shadow/events";
import type { StepEnv } from "@shadow/migration";
import type { InstanceProgress, Runtime } from "@shadow/runtime";

export type { InstanceProgress };

/** What the catch-up watch needs (see catch-up/watch.ts). */
export interface CatchUpDeps {
  /** `nodes`: the target's readiness, read during the catch-up and the fence. */
  runtime: Pick<Runtime, "limitCpu" | "inspect" | "nodes">;
  /** Reads an instance's processed offsets (the workload SDK's `GET /status`). */
  progress(instance: string): Promise<InstanceProgress>;
  /** Caught up = at most this many records behind the source, summed over partitions. */
  catchUpThreshold: number;
  catchUpTimeoutMs: number;
  /** A lag that stays flat this long slows the source (see converge.ts); 0: never. */
  convergeWindowMs: number;
  /** The fence's budget in ms; default the checkpoint's pause + 50 ms (see fence-cost.ts). */
  fenceBudgetMs?: number | undefined;
  /** The most a stalled catch-up's fence may cost, in ms (0: never fence a stalled one). */
  maxFenceExtraMs?: number | undefined;
  pollIntervalMs: number;
  /** A shadow silent on `/status` this long during its fence fails the fence (0: never). */
  shadowSilenceMs?: number | undefined;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Where the catch-up watch reports its progress (lag, cap, unanswered polls). */
  log?: { info(fields: object, message: string): void };
}

/** The catch-up watches, beside the consumer (see catch-up/watcher.ts). */
export interface CatchUps {
  watch(event: IncomingEvent<typeof ShadowRestored.type>): void;
  stop(migrationId: string): void;
}

export interface RestoreDeps {
  runtime: Pick<Runtime, "restore" | "inspect" | "list" | "remove" | "limitCpu" | "release">;
  /**
   * Reads an instance's `/status` (its mode included): a failed fence asks its shadow whether
   * its pass won in the control log before removing it (see handlers/migration-failed.ts).
   */
  progress?: (instance: string) => Promise<InstanceProgress>;
  /** How long a failed fence waits for its shadow to say whether it passed; default 10 s. */
  fenceVerdictTimeoutMs?: number;
  /** Clock and deadline of the step wrapper (runStep). */
  step: StepEnv;
  catchUps: CatchUps;
}
