/**
 * The phases a migration goes through, in order. With an identity swap the handoff phases
 * (checkpoint → drain) run twice: round 1 source → shadow, round 2 shadow → named instance.
 */
export const phases = ["checkpoint", "image", "restore", "catch-up", "fence", "drain"] as const;

export type Phase = (typeof phases)[number];

/**
 * `pending`: requested, not yet answered by admission; `rejected`: refused, nothing was done;
 * `failed`: a step failed and the compensations are under way, ending `rolled-back`.
 */
export type Status = "pending" | "running" | "completed" | "failed" | "rolled-back" | "rejected";

export interface PhaseTiming {
  round: 1 | 2;
  phase: Phase;
  startedAt: string;
  endedAt?: string;
  ms?: number;
  /** The migration failed in this phase: it ended with the failure, not with its step's event. */
  failed?: true;
}
