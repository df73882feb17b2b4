import type { EventType } from "../catalog/index.ts";
import type { IncomingEvent, OutgoingEvent, ShadowEvent } from "../event.ts";
import type { DeadLetterCode } from "./dead-letter.ts";

/**
 * A handler: a plain function from the event it reacts to (and the service's ports) to the
 * events it emits. It must be idempotent in its effect on the world; the bus makes its
 * emissions idempotent (see runner.ts).
 */
export type Handler<T extends EventType, D> = (
  event: IncomingEvent<T>,
  deps: D,
) => Promise<OutgoingEvent[]> | OutgoingEvent[];

/** Handlers by event type; types without one are skipped (and committed), not dead-lettered. */
export type Handlers<D> = { [T in EventType]?: Handler<T, D> };

/** Where a record came from. */
export interface RecordInfo {
  topic: string;
  partition: number;
  offset: string;
}

/** Where a record sits in its log, and the key it was produced with. */
export interface RecordPosition extends RecordInfo {
  key: string | null;
}

/**
 * What a gate says of one valid event at its place in the log: act on it; skip it as stale (a
 * replay, or an event of a migration that is no longer at the step it names; `ended` when the
 * migration ended before it); or refuse it as malformed (a dead letter, from a service that
 * handles its type).
 */
export type GateVerdict =
  | { act: true }
  | { act: false; stale: string; ended: boolean }
  | { act: false; invalid: { code: DeadLetterCode; reason: string } };

/**
 * Decides, from the log before a record, whether the handlers may act on it, and folds the
 * record in. The runner calls it once for every valid record of its topics, handled here or
 * not, in log order within each partition; so every service that reads a partition decides
 * the same way about every record in it.
 */
export interface EventGate {
  judge(event: IncomingEvent, position: RecordPosition): GateVerdict | Promise<GateVerdict>;
  /** A record that holds no valid event: nothing to fold, but the gate knows it was read. */
  skip?(position: RecordPosition): void | Promise<void>;
}

/**
 * What became of one record. Every outcome but `aborted` is committed: at once when it had an
 * effect, with a later commit of its partition when it was `ignored` or `stale`.
 */
export type Outcome =
  | { kind: "handled"; event: IncomingEvent; emitted: ShadowEvent[]; attempts: number }
  | { kind: "duplicate"; event: IncomingEvent }
  | { kind: "ignored"; event: ShadowEvent }
  /** The gate found it stale (a replay, or late): nothing was done. */
  | { kind: "stale"; event: IncomingEvent; reason: string }
  | {
      kind: "dead-lettered";
      code: DeadLetterCode;
      reason: string;
      attempts: number;
      event?: ShadowEvent;
    }
  /** The runner was stopping during a retry wait: not committed, so it will be redelivered. */
  | { kind: "aborted"; event: IncomingEvent };

export interface RetryInfo {
  event: IncomingEvent;
  attempt: number;
  delayMs: number;
  error: Error;
}

/** Hooks for metrics, logs and tests; each is awaited, so keep them quick. */
export interface RunnerObserver {
  onOutcome?(outcome: Outcome, record: RecordInfo): void | Promise<void>;
  onRetry?(info: RetryInfo): void | Promise<void>;
  /** After the outcome's effects (emitted events, dead letter), before the offset commit. */
  beforeCommit?(outcome: Outcome, record: RecordInfo): void | Promise<void>;
}

/**
 * Counters since start: received = handled + duplicates + ignored + stale + deadLettered +
 * aborted.
 */
export interface RunnerStats {
  received: number;
  handled: number;
  duplicates: number;
  ignored: number;
  stale: number;
  deadLettered: number;
  deadLetteredByCode: Partial<Record<DeadLetterCode, number>>;
  aborted: number;
  retries: number;
  emitted: number;
  commits: number;
}
