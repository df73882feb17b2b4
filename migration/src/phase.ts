/**
 * The phases a migration goes through, in order. With an identity swap the handoff phases
 * (checkpoint → drain) run twice: round 1 source → shadow, round 2 shadow → named instance.
 */
export const phases = ["checkpoint", "image", "restore", "catch-up", "fence", "drain"] as const;

export type Phase = (typeof phases)[number];

export type Status = "running" | "completed" | "failed" | "rolled-back";

export interface PhaseTiming {
  round: 1 | 2;
  phase: Phase;
  startedAt: string;
  endedAt?: string;
  ms?: number;
  /** The migration failed in this phase: it ended with the failure, not with its step's event. */
  failed?: true;
}
