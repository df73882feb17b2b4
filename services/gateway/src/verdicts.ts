import type { MigrationProjection, MigrationView } from "@shadow/migration";

/** A request waiting for the log's verdict on it. */
export interface PendingVerdict {
  /**
   * The view once it is no longer pending (admitted, refused, or further), or undefined when
   * none came within `timeoutMs` from now. Call once the request is on the log.
   */
  within(timeoutMs: number): Promise<MigrationView | undefined>;
  cancel(): void;
}

/**
 * Waits for the verdict on a request the gateway put on the log: admission's MigrationAdmitted
 * or MigrationRejected, or the ledger's refusal at the request's own place (another migration
 * of the workload under way), as the projection folds them. One subscription serves every
 * request waiting, so a thousand requests at once cost one listener call per change.
 */
export class Verdicts {
  readonly #waiting = new Map<string, (view: MigrationView | undefined) => void>();

  constructor(private readonly projection: MigrationProjection) {
    projection.subscribe((view) => {
      if (view.status !== "pending") this.#waiting.get(view.migrationId)?.(view);
    });
  }

  /** Starts listening; call before the request is published, so its verdict cannot slip past. */
  wait(migrationId: string): PendingVerdict {
    let settle: (view: MigrationView | undefined) => void = () => undefined;
    const result = new Promise<MigrationView | undefined>((resolve) => {
      settle = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const done = (view: MigrationView | undefined) => {
      clearTimeout(timer);
      this.#waiting.delete(migrationId);
      // A copy: the projection keeps folding into the view it holds.
      settle(view && structuredClone(view));
    };
    this.#waiting.set(migrationId, done);
    return {
      within: (timeoutMs) => {
        const known = this.projection.get(migrationId);
        if (known && known.status !== "pending") done(known);
        else timer = setTimeout(() => done(undefined), timeoutMs);
        return result;
      },
      cancel: () => done(undefined),
    };
  }
}
