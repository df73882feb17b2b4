/**
 * Remembers which events were already handled, by the CloudEvents duplicate rule: two events
 * with the same `source` and `id` are the same event.
 *
 * A port: the default lives in memory, so it forgets on restart. That is enough for "one
 * effect" as this bus defines it (see runner.ts): after a restart the handler may run again for
 * events whose offset was not yet committed, and its outputs carry the same ids as before, so
 * the next consumer drops them. A persistent store (a compacted topic, a file) would also skip
 * the second handler run; plug it in here.
 */
export interface DedupeStore {
  has(key: string): boolean | Promise<boolean>;
  add(key: string): void | Promise<void>;
}

export function dedupeKey(event: { source: string; id: string }): string {
  // A source is a URI reference and cannot contain a raw newline.
  return `${event.source}\n${event.id}`;
}

/** Least-recently-used set of keys; a Map keeps insertion order, so the first key is oldest. */
export class MemoryDedupeStore implements DedupeStore {
  private readonly keys = new Map<string, true>();

  constructor(private readonly capacity = 100_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`dedupe capacity must be a positive integer, got ${capacity}`);
    }
  }

  has(key: string): boolean {
    if (!this.keys.has(key)) return false;
    // Touch: a key seen again is recent again.
    this.keys.delete(key);
    this.keys.set(key, true);
    return true;
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.set(key, true);
    while (this.keys.size > this.capacity) {
      const oldest = this.keys.keys().next();
      if (oldest.done) break;
      this.keys.delete(oldest.value);
    }
  }

  get size(): number {
    return this.keys.size;
  }
}
