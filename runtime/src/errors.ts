import { ShadowError } from "@shadow/errors";

/**
 * Typed errors of the runtime port, of the project's one error model (@shadow/errors): the bus
 * and every step read their `retryable` flag. `retryable` errors may succeed if the same call is
 * made again later (a registry restarting, a node busy); terminal ones never will (a tampered
 * image stays tampered, a target with no room does not make room within a step). Every error
 * carries the migration id when there is one, and the error it wraps as `cause`.
 */

export interface RuntimeErrorOptions {
  migrationId?: string | undefined;
  cause?: unknown;
}

export class RuntimeError extends ShadowError {
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    retryable: boolean,
    options: RuntimeErrorOptions = {},
  ) {
    super(message, { ...options, code });
    this.retryable = retryable;
  }
}

/** The image (manifest, or a blob it names) is not where the reference says. Terminal. */
export class ImageNotFoundError extends RuntimeError {
  readonly ref: string;
  constructor(ref: string, message: string, options?: RuntimeErrorOptions) {
    super("IMAGE_NOT_FOUND", message, false, options);
    this.ref = ref;
  }
}

/**
 * A digest or size does not match what the manifest (or the caller) promised: the image was
 * altered or damaged after it was built. Terminal: nothing from it may be restored.
 */
export class ImageIntegrityError extends RuntimeError {
  readonly ref: string;
  constructor(ref: string, message: string, options?: RuntimeErrorOptions) {
    super("IMAGE_INTEGRITY", message, false, options);
    this.ref = ref;
  }
}

/** The layer cannot be decrypted: no key, or not the key it was encrypted with. Terminal. */
export class ImageDecryptError extends RuntimeError {
  readonly ref: string;
  constructor(ref: string, message: string, options?: RuntimeErrorOptions) {
    super("IMAGE_DECRYPT", message, false, options);
    this.ref = ref;
  }
}

/** The registry did not answer, or answered 5xx. Retryable. */
export class RegistryUnavailableError extends RuntimeError {
  constructor(message: string, options?: RuntimeErrorOptions) {
    super("REGISTRY_UNAVAILABLE", message, true, options);
  }
}

/** The target node cannot run the image; `reasons` says why, one line each. Terminal. */
export class PreflightError extends RuntimeError {
  readonly reasons: string[];
  constructor(reasons: string[], options?: RuntimeErrorOptions) {
    super("PREFLIGHT_REFUSED", `target refused: ${reasons.join("; ")}`, false, options);
    this.reasons = reasons;
  }
}

/** No node of that name. Terminal. */
export class UnknownNodeError extends RuntimeError {
  readonly node: string;
  constructor(node: string, options?: RuntimeErrorOptions) {
    super("UNKNOWN_NODE", `no node named '${node}'`, false, options);
    this.node = node;
  }
}

/** No instance of that name. Terminal. */
export class UnknownInstanceError extends RuntimeError {
  readonly instance: string;
  constructor(instance: string, options?: RuntimeErrorOptions) {
    super("UNKNOWN_INSTANCE", `no instance named '${instance}'`, false, options);
    this.instance = instance;
  }
}

/** An instance of that name already exists. Terminal. */
export class InstanceExistsError extends RuntimeError {
  readonly instance: string;
  constructor(instance: string, options?: RuntimeErrorOptions) {
    super("INSTANCE_EXISTS", `an instance named '${instance}' already exists`, false, options);
    this.instance = instance;
  }
}

/**
 * The node has no room (instances, memory or addresses, or it is cordoned) for one more
 * instance. Terminal: room frees up only when something else is removed, which no retry within
 * a step's deadline waits for; the migration rolls back at once and a later request may find room.
 */
export class CapacityError extends RuntimeError {
  readonly node: string;
  constructor(node: string, reason: string, options?: RuntimeErrorOptions) {
    super("NO_CAPACITY", `node '${node}' has no capacity: ${reason}`, false, options);
    this.node = node;
  }
}

/** Starting an instance failed (container runtime, network). Retryable. */
export class RunError extends RuntimeError {
  readonly instance: string;
  constructor(instance: string, message: string, options?: RuntimeErrorOptions) {
    super("RUN_FAILED", message, true, options);
    this.instance = instance;
  }
}

/** The checkpoint (freeze, dump) failed; the source was resumed when it was left running. */
export class CheckpointError extends RuntimeError {
  readonly instance: string;
  constructor(instance: string, message: string, options?: RuntimeErrorOptions) {
    super("CHECKPOINT_FAILED", message, true, options);
    this.instance = instance;
  }
}

/** The restore failed; nothing of the half-created instance was left behind. */
export class RestoreError extends RuntimeError {
  readonly node: string;
  constructor(node: string, message: string, options?: RuntimeErrorOptions) {
    super("RESTORE_FAILED", message, true, options);
    this.node = node;
  }
}

export { toError } from "@shadow/errors";

/**
 * The runtime was asked for something its configuration does not allow (a node agent reached
 * by a process started without the agents' token). Terminal: only a new configuration helps.
 */
export class RuntimeConfigError extends RuntimeError {
  constructor(message: string, options?: RuntimeErrorOptions) {
    super("RUNTIME_CONFIG", message, false, options);
  }
}
