import { type BigIntStats, statSync } from "node:fs";
import { type Identity, readIdentity, sameIdentity } from "./identity.ts";

export type IdentityState = "same" | "changed" | "unreadable";

export interface IdentityWatcherOptions {
  path: string;
  /** Called synchronously, inside the `check()` that noticed the change. */
  onChange(next: Identity, previous: Identity): void;
  onUnreadable?(reason: string): void;
  /** Backstop poll; the checks before every external act catch most changes first. */
  pollMs?: number;
}

/**
 * Notices, within milliseconds, that the identity file under this process changed: after a
 * CRIU restore the same path is a different bind mount, so its inode, device, size or times
 * differ. `check()` costs one `stat` when nothing changed, cheap enough to run before every
 * produce, commit and control publish; the file is only re-read when the stat differs, and
 * a change counts only when the parsed identity differs (touching the file is not a restore).
 */
export class IdentityWatcher {
  private fingerprint: string;
  private identity: Identity;
  private readable = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly options: IdentityWatcherOptions;

  /** Throws when the file cannot be read at start-up: a process must know who it is. */
  constructor(options: IdentityWatcherOptions) {
    this.options = options;
    this.fingerprint = fingerprintOf(options.path);
    const read = readIdentity(options.path);
    if (!read.ok) throw new Error(`identity: ${read.reason}`);
    this.identity = read.identity;
  }

  get current(): Identity {
    return this.identity;
  }

  /** False while the file cannot be read or parsed: no external act is allowed then. */
  get isReadable(): boolean {
    return this.readable;
  }

  /**
   * Compares the file with what this process believes. On a change it switches to the new
   * identity and calls `onChange` before returning, so the caller's session is already stale.
   */
  check(): IdentityState {
    const fingerprint = fingerprintOf(this.options.path);
    if (fingerprint === this.fingerprint && this.readable) return "same";
    const read = readIdentity(this.options.path);
    if (!read.ok) {
      // A half-written file is not a new identity; refuse acts until it reads again.
      if (this.readable) this.options.onUnreadable?.(read.reason);
      this.readable = false;
      this.fingerprint = fingerprint;
      return "unreadable";
    }
    this.fingerprint = fingerprint;
    this.readable = true;
    if (sameIdentity(read.identity, this.identity)) return "same";
    const previous = this.identity;
    this.identity = read.identity;
    this.options.onChange(read.identity, previous);
    return "changed";
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), this.options.pollMs ?? 5);
    // The poll must not keep a finished process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function fingerprintOf(path: string): string {
  let stats: BigIntStats | undefined;
  try {
    stats = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch (error) {
    return `error:${(error as NodeJS.ErrnoException).code}`;
  }
  if (!stats) return "missing";
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}
