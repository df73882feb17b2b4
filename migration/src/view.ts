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
  /** Size of the checkpoint image. */
  imageBytes?: number;
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
  source: InstancePlace;
  targetNode: string;
  status: Status;
  round: 1 | 2;
  phase: Phase | "done";
  phases: PhaseTiming[];
  requestedAt: string;
  updatedAt: string;
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
  /** Why the request was refused; `runningMigrationId` names the migration then under way. */
  rejection?: { code: string; reason: string; runningMigrationId?: string };
  traceId?: string;
}
