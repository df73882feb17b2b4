/**
 * Errors modelled by what a retry should do. A handler throws `TerminalError` for input that
 * can never succeed (it goes straight to the dead-letter topic) and `RetryableError` for a
 * transient failure, optionally saying when to try again. Anything else it throws counts as
 * retryable: a bug that fails every time still ends in the dead-letter topic once the
 * retries run out, while a flaky dependency gets its chance.
 */

export interface ShadowErrorOptions {
  /** The migration the failure belongs to, where there is one. */
  migrationId?: string;
  /** A short machine-readable reason, e.g. "checkpoint-failed". */
  code?: string;
  cause?: unknown;
}

export abstract class ShadowError extends Error {
  abstract readonly retryable: boolean;
  readonly migrationId: string | undefined;
  readonly code: string;

  constructor(message: string, options: ShadowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.migrationId = options.migrationId;
    this.code = options.code ?? "error";
  }
}

/** Never retried: bad input, a schema violation, a precondition that will not change. */
export class TerminalError extends ShadowError {
  readonly retryable = false;
}

export interface RetryableErrorOptions extends ShadowErrorOptions {
  /** Wait at least this long before the next attempt (ms), e.g. from a Retry-After. */
  retryAfterMs?: number;
}

/** Worth another attempt later: a timeout, a node that is busy, a broker that is moving. */
export class RetryableError extends ShadowError {
  readonly retryable = true;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Turns anything thrown into an Error, keeping the original as `cause` when it was not one. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  let text: string;
  try {
    text = JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  return new Error(`non-error thrown: ${text}`, { cause: thrown });
}

export function isTerminal(error: unknown): boolean {
  return error instanceof ShadowError && !error.retryable;
}

/** The migration id an error carries, looking through its causes. */
export function migrationIdOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof ShadowError && current.migrationId) return current.migrationId;
    current = current.cause;
  }
  return undefined;
}
