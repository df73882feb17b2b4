export { type Backoff, backoffDelay } from "./backoff.ts";
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
} from "./errors.ts";
