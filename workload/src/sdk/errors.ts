import { RetryableError, ShadowError, TerminalError } from "@shadow/events";

export { RetryableError, TerminalError };

/**
 * A Kafka client tried to act under an identity this process no longer has (it was restored
 * as a copy, or its session was replaced). Never retried by the SDK: the client is abandoned.
 */
export class StaleSessionError extends ShadowError {
  readonly retryable = false;
  readonly epoch: number;

  constructor(epoch: number, current: number, act: string) {
    super(`refused ${act}: session ${epoch} is stale (current ${current})`, {
      code: "stale-session",
    });
    this.epoch = epoch;
  }
}

/** The identity file cannot be read right now: no act until it can (retried, not abandoned). */
export class IdentityUnreadableError extends RetryableError {
  constructor(act: string) {
    super(`refused ${act}: the identity file is unreadable`, {
      code: "identity-unreadable",
      retryAfterMs: 50,
    });
  }
}

export function isStaleSession(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof StaleSessionError) return true;
    if (/session \d+ is stale/.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}
