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

/** What became of one record. Every outcome but `aborted` is followed by an offset commit. */
export type Outcome =
  | { kind: "handled"; event: IncomingEvent; emitted: ShadowEvent[]; attempts: number }
  | { kind: "duplicate"; event: IncomingEvent }
  | { kind: "ignored"; event: ShadowEvent }
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

/** Counters since start: received = handled + duplicates + ignored + deadLettered + aborted. */
export interface RunnerStats {
  received: number;
  handled: number;
  duplicates: number;
  ignored: number;
  deadLettered: number;
  deadLetteredByCode: Partial<Record<DeadLetterCode, number>>;
  aborted: number;
  retries: number;
  emitted: number;
  commits: number;
}
