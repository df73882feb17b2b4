import type { Phase } from "@shadow/migration";

/**
 * How far one copy of the workload had processed, as its status endpoint said: the last input
 * offset per partition. Sampled while a migration runs; the differences between samples are
 * the copy's activity.
 */
export interface ProgressSample {
  /** When the answer arrived (ms since epoch): a frozen copy answers only once thawed. */
  at: number;
  instance: string;
  node: string;
  offsets: { topic: string; partition: number; offset: number }[];
}

/** The shadow's lag behind its source, read from both copies at one moment. */
export interface LagReading {
  at: number;
  round: 1 | 2;
  records: number;
}

/** What was sampled of a migration besides its events (kept by whoever watched it run). */
export interface MigrationSamples {
  progress: ProgressSample[];
  lag: LagReading[];
}

/** Records processed per bin by one copy (instance on a node). */
export interface CopyActivity {
  /** `instance@node`. */
  copy: string;
  instance: string;
  node: string;
  /** What the copy was in the migration, e.g. "source", "shadow", "target (round 2)". */
  role: string;
  /** counts[i] covers [start + i·binMs, start + (i+1)·binMs). */
  counts: number[];
  total: number;
}

/** Times are ms since epoch throughout. */
export interface Timeline {
  migrationId: string;
  workload: string;
  strategy: "shadow" | "sequential";
  identitySwap: boolean;
  status: string;
  sourceNode: string;
  targetNode: string;
  /** The axis: from the request to the last thing known (the end, or the last sample). */
  start: number;
  end: number;
  binMs: number;
  phases: { round: 1 | 2; phase: Phase; from: number; to?: number; failed?: boolean }[];
  /** Each round's checkpoint freeze, as the checkpoint measured it. */
  freezes: { round: 1 | 2; copy: string; at: number; ms: number }[];
  /**
   * Each round's fence: the shadow caught up (`caughtUpAt`, with the lag the log recorded
   * then), fence-svc completed it (`completedAt`), and the handover inside it, the source's
   * pause until the shadow was past the cut (`handoverMs`, ending at the completion at most).
   */
  fences: {
    round: 1 | 2;
    caughtUpAt?: number;
    lagAtCaughtUp?: number;
    completedAt?: number;
    handoverMs?: number;
    from: string;
    to: string;
  }[];
  /** Sequential only: the stretch no copy served. */
  outage?: { from: number; to?: number };
  activity: CopyActivity[];
  lag: LagReading[];
  /** False when nobody sampled the copies while it ran (e.g. the gateway restarted since). */
  sampled: boolean;
}
