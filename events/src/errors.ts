/**
 * The project's one error model lives in @shadow/errors (the runtime port's errors are of it
 * too); the bus re-exports it so handlers keep importing errors from the events package.
 */
export {
  isTerminal,
  migrationIdOf,
  RetryableError,
  type RetryableErrorOptions,
  retryAfterOf,
  ShadowError,
  type ShadowErrorOptions,
  TerminalError,
  toError,
} from "@shadow/errors";
