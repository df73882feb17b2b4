/**
 * The instance whose progress was asked for is gone (removed, or no longer running). Unlike a
 * status poll that failed or timed out (an overloaded instance misses some), this ends a
 * catch-up watch.
 */
export class InstanceGoneError extends Error {
  readonly code = "INSTANCE_GONE";
  constructor(readonly instance: string) {
    super(`instance ${instance} is gone`);
    this.name = "InstanceGoneError";
  }
}
