import type { InstanceProgress, Runtime } from "@shadow/runtime";

export type { InstanceProgress };

export interface RestoreDeps {
  runtime: Pick<Runtime, "restore" | "inspect" | "list" | "remove" | "limitCpu" | "release">;
  /** Reads an instance's processed offsets (the workload SDK's `GET /status`). */
  progress(instance: string): Promise<InstanceProgress>;
  /** Caught up = at most this many records behind the source, summed over partitions. */
  catchUpThreshold: number;
  catchUpTimeoutMs: number;
  /** A lag that stays flat this long slows the source (see converge.ts); 0: never. */
  convergeWindowMs: number;
  pollIntervalMs: number;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Where the catch-up watch reports its progress (lag, cap, unanswered polls). */
  log?: { info(fields: object, message: string): void };
}
