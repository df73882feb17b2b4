import { applyEvent, type FoldableEvent, isActive } from "./fold.ts";
import type { MigrationView } from "./view.ts";

/**
 * Every migration's view, kept by folding the migrations topic. Folding is idempotent by event
 * id, so a redelivered event changes nothing.
 */
export class MigrationProjection {
  readonly #views = new Map<string, MigrationView>();
  readonly #seen = new Set<string>();
  readonly #listeners = new Set<(view: MigrationView) => void>();

  apply(migrationId: string, event: FoldableEvent): MigrationView | undefined {
    if (this.#seen.has(event.id)) return this.#views.get(migrationId);
    this.#seen.add(event.id);
    const before = this.#views.get(migrationId);
    const after = applyEvent(before, event);
    if (!after) return undefined;
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

  /** The migration of this workload that is still under way, if any. */
  activeFor(workload: string): MigrationView | undefined {
    return this.list().find((v) => v.workload === workload && isActive(v));
  }

  /** Calls `listener` with every view that changes; returns the unsubscribe function. */
  subscribe(listener: (view: MigrationView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
