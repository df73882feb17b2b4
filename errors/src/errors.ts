/**
 * Errors modelled by what a retry should do, one model for the whole project: the bus, the
 * runtime port and every migration step read the same `retryable` flag. A terminal error never
 * succeeds on a second try (bad input, a schema violation, a target with no room, a tampered
 * image); a retryable one may (a registry restarting, a broker electing a leader, a node agent
 * busy), optionally saying when to try again. Anything thrown that is not a ShadowError counts
 * as retryable: a bug that fails every time still fails once the retries run out, while a flaky
 * dependency gets its chance.
 */

export interface ShadowErrorOptions {
  /** The migration the failure belongs to, where there is one. */
  migrationId?: string | undefined;
  /** A short machine-readable reason, e.g. "checkpoint-failed" or "REGISTRY_UNAVAILABLE". */
  code?: string;
  /** Wait at least this long before the next attempt (ms), e.g. from a Retry-After. */
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

export abstract class ShadowError extends Error {
  abstract readonly retryable: boolean;
  readonly migrationId: string | undefined;
  readonly code: string;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ShadowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.migrationId = options.migrationId;
    this.code = options.code ?? "error";
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Never retried: bad input, a schema violation, a precondition that will not change. */
export class TerminalError extends ShadowError {
  readonly retryable = false;
}

/** @deprecated the same as ShadowErrorOptions, kept for callers that name it. */
export type RetryableErrorOptions = ShadowErrorOptions;

/** Worth another attempt later: a timeout, a node that is busy, a broker that is moving. */
export class RetryableError extends ShadowError {
  readonly retryable = true;
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

/** A ShadowError that says a retry cannot help. Anything else may be worth another try. */
export function isTerminal(error: unknown): boolean {
  return error instanceof ShadowError && !error.retryable;
}

/** The delay an error asks for before the next attempt, if it names one. */
export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof ShadowError ? error.retryAfterMs : undefined;
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
