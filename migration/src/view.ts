import type { Phase, PhaseTiming, Status } from "./phase.ts";

export interface StepWork {
  round: 1 | 2;
  dumpMs?: number;
  /** The checkpoint's freeze: from when, and how long (the window its `from` side was frozen). */
  frozenAt?: string;
  pauseMs?: number;
  buildMs?: number;
  transferMs?: number;
  pullMs?: number;
  criuRestoreMs?: number;
  /** The runtime's whole restore, and two of its steps besides the pull and CRIU. */
  runtimeRestoreMs?: number;
  restorePreflightMs?: number;
  restorePlaceMs?: number;
  /** The CPU cap the source ran under when the shadow caught up (auto-converge), if any. */
  sourceCpuLimit?: number;
  /** The round's shadow, and when it was reported caught up: consuming from then at the latest. */
  shadow?: InstancePlace;
  caughtUpAt?: string;
  /** The round's own lag at its caught-up report, and its handover (the view's are the last and longest). */
  lagBehindSource?: number;
  handoverMs?: number;
  /** Size of the checkpoint image (a stream: the bytes it moved). */
  imageBytes?: number;
  /** How the dump reached the target: registry, node-to-node, stream, or same-node. */
  transfer?: string;
  /** Where the image is: a registry or layout reference, or a stream's name (`stream://`). */
  imageRef?: string;
  /** The copy ran before its memory was in (post-copy), which took `memoryMs` from its restore. */
  postCopy?: boolean;
  memoryMs?: number;
  /** The replay, as the catch-up watch measured it (see ShadowCaughtUp). */
  firstRecordMs?: number;
  replayedRecords?: number;
  replayPerSec?: number;
  inputPerSec?: number;
  /** The fence's estimated cost (the shadow's replay of its lag) against its budget; forced: the lag had stopped shrinking. */
  fenceEstimateMs?: number;
  fenceBudgetMs?: number;
  forcedFence?: boolean;
  /**
   * The source was found gone (killed, its node lost) and the shadow took over from its last
   * committed progress: in the catch-up, or during the fence (SourceLost).
   */
  sourceLostAt?: string;
}

/** An OCI image built and pushed after the migration, from a dump it streamed. */
export interface ArchivedImage {
  imageRef: string;
  sizeBytes: number;
  buildMs: number;
  pushMs: number;
  at: string;
}

export interface InstancePlace {
  instance: string;
  node: string;
}

/** What the gateway shows for `GET /migrations/:id`: a projection of the log, never stored. */
export interface MigrationView {
  migrationId: string;
  workload: string;
  strategy: "shadow" | "sequential";
  identitySwap: boolean;
  /** Only gives the workload its own name back where it serves: round 2 alone. */
  nameRestore?: boolean;
  source: InstancePlace;
  targetNode: string;
  status: Status;
  round: 1 | 2;
  phase: Phase | "done";
  phases: PhaseTiming[];
  requestedAt: string;
  updatedAt: string;
  /**
   * Completed, but the identity swap's round 2 could not: the workload moved and serves on the
   * target under its shadow's name (`final`), with why.
   */
  swapFailure?: string;
  /** The handoff under way (or last under way): who hands over to whom, in which round. */
  handoff: { round: 1 | 2; from: InstancePlace; to: InstancePlace };
  /**
   * The work each step reported, per round (the phases above are wall clock between events and
   * include the hops): image build, transfer (push and pull, or node-to-node copy, until the
   * dump is unpacked on the target), the restore's claim of it (a pull again after a crash),
   * CRIU's restore, the source's dump.
   */
  work: StepWork[];
  /** The shadow's lag behind the source when it was declared caught up. */
  lagBehindSource?: number;
  /**
   * Not folded from the log: the lag the gateway read from the two instances when it answered
   * (`GET /migrations/:id?lag=live`, during catch-up), and when.
   */
  liveLag?: { records: number; at: string };
  checkpointPauseMs?: number;
  /** The largest dump of any round (beside the longest pause). */
  dumpBytes?: number;
  handoverMs?: number;
  /**
   * The stretch in which no copy of the workload served, as the events show it: a sequential
   * migration stops its source at the checkpoint's freeze, and a copy serves again once the
   * target's is restored (or, rolled back, once the source is back). Open (no `endedAt`) while
   * it lasts. A ShadowPod source serves throughout, so a ShadowPod migration has none: its
   * freezes are `checkpointPauseMs` and its handover `handoverMs`.
   */
  outage?: { startedAt: string; endedAt?: string; ms?: number };
  totalMs?: number;
  final?: InstancePlace;
  failure?: { step: string; code: string; reason: string };
  /** The copy found serving after the compensations; absent when none was. */
  rollback?: { reason: string; compensated: string[]; serving?: InstancePlace };
  /** Streamed dumps archived as OCI images once the migration had ended. */
  archived?: ArchivedImage[];
  /** Why the request was refused; `runningMigrationId` names the migration then under way. */
  rejection?: { code: string; reason: string; runningMigrationId?: string };
  traceId?: string;
}
