import { TerminalError } from "@shadow/errors";

/**
 * The instance whose progress was asked for is gone (removed, or no longer running). Unlike a
 * status poll that failed or timed out (an overloaded instance misses some), this ends a
 * catch-up watch: terminal.
 */
export class InstanceGoneError extends TerminalError {
  constructor(readonly instance: string) {
    super(`instance ${instance} is gone`, { code: "INSTANCE_GONE" });
  }
}
