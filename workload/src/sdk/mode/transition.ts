import type { PartitionOffset } from "../../types.ts";
import type { Identity } from "../identity.ts";
import type { Effect } from "./effects.ts";
import type { ModeState } from "./state.ts";

/**
 * What a transition may read of the world at the moment of its event, and nothing else: the
 * clock, the identity file, and the processed offsets and held outputs (read, never changed).
 */
export interface Readings {
  readonly now: number;
  readonly identity: Identity;
  /** When this process took its current identity (ms since epoch): started or restored. */
  readonly identitySince: number;
  /** True once every partition of `cut` is processed at least up to it. */
  passed(cut: readonly PartitionOffset[]): boolean;
  /** Records still to process before `cut`, summed over partitions. */
  behind(cut: readonly PartitionOffset[]): number;
  /** Held outputs a `drop-held` up to `positions` would drop. */
  heldUpTo(positions: readonly PartitionOffset[]): number;
  readonly heldSize: number;
}

/** A transition's result: the next state and the effects the owner executes, in order. */
export interface Outcome {
  readonly state: ModeState;
  readonly effects: readonly Effect[];
}

const none: readonly Effect[] = Object.freeze([]);

/** Stays where it is, with the effects given (usually none, or a log line saying why). */
export function same(state: ModeState, ...effects: Effect[]): Outcome {
  return { state, effects: effects.length === 0 ? none : effects };
}

export function moved(state: ModeState, effects: Effect[]): Outcome {
  return { state, effects };
}

/** Runs `next` on the state `first` reached; the effects of both, in order. */
export function andThen(first: Outcome, next: (state: ModeState) => Outcome): Outcome {
  const second = next(first.state);
  if (first.effects.length === 0) return second;
  if (second.effects.length === 0) return { state: second.state, effects: first.effects };
  return { state: second.state, effects: [...first.effects, ...second.effects] };
}

export function log(
  level: "info" | "warn",
  fields: Record<string, unknown>,
  message: string,
): Effect {
  return { kind: "log", level, fields, message };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
