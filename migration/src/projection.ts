import { MigrationRequested } from "@shadow/events";
import { busyRefusal } from "./admission.ts";
import { applyEvent, type FoldableEvent, isActive, reject } from "./fold.ts";
import { LogLedger, type LogPosition } from "./ledger/log-ledger.ts";
import type { MigrationView } from "./view.ts";

/**
 * Every migration's view, kept by folding the migrations topic in its order per partition.
 * The ledger judges each event at its place first, as every service does: a replayed or late
 * event changes no view, and a request made while its workload was migrating is refused here at
 * once, by the same rule admission applies (its MigrationRejected follows).
 */
export class MigrationProjection {
  readonly #views = new Map<string, MigrationView>();
  readonly #ledger = new LogLedger();
  readonly #listeners = new Set<(view: MigrationView) => void>();

  /**
   * Folds the valid event at `position` of the migrations log. A record the projection folded
   * already (a redelivery) changes nothing.
   */
  apply(event: FoldableEvent, position: LogPosition): MigrationView | undefined {
    const migrationId = (event.data as { migrationId?: unknown } | null)?.migrationId;
    if (typeof migrationId !== "string") return undefined;
    if (this.#ledger.folded(position.partition, position.offset)) {
      return this.#views.get(migrationId);
    }
    const judgement = this.#ledger.apply(event, position);
    if (judgement.kind !== "act") return this.#views.get(migrationId);
    const after = applyEvent(this.#views.get(migrationId), event);
    if (!after) return undefined;
    if (event.type === MigrationRequested.type) {
      const decision = this.#ledger.migration(migrationId)?.decision;
      if (decision?.kind === "busy") reject(after, busyRefusal(after.workload, decision.running));
    }
    this.#views.set(migrationId, after);
    for (const listener of this.#listeners) listener(after);
    return after;
  }

  get(migrationId: string): MigrationView | undefined {
    return this.#views.get(migrationId);
  }

  list(): MigrationView[] {
    return [...this.#views.values()].sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }

  /** The migration of this workload that is under way, if any: the one the log admitted. */
  activeFor(workload: string): MigrationView | undefined {
    const running = this.#ledger.running(workload);
    const view = running === undefined ? undefined : this.#views.get(running);
    return view && isActive(view) ? view : undefined;
  }

  /** Calls `listener` with every view that changes; returns the unsubscribe function. */
  subscribe(listener: (view: MigrationView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
