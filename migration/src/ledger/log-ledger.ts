import { MigrationAdmitted, MigrationRejected } from "@shadow/events";
import {
  type Judgement,
  type LedgerEntry,
  type LedgerEvent,
  PartitionLedger,
} from "./partition-ledger.ts";

/** A record's place in the migrations log. */
export interface LogPosition {
  partition: number;
  offset: string;
  key: string | null;
}

const verdictTypes: ReadonlySet<string> = new Set([MigrationAdmitted.type, MigrationRejected.type]);

/**
 * The ledger of the whole migrations log: one PartitionLedger per partition (a workload's
 * migrations all live in one), the next offset each has folded, and the verdicts known to lie
 * further on. A reader feeds it every valid event of the log in order per partition, from the
 * partition's start.
 */
export class LogLedger {
  readonly #partitions = new Map<number, PartitionLedger>();
  readonly #next = new Map<number, bigint>();
  /** Which partition holds each migration, for events that come from other topics. */
  readonly #where = new Map<string, number>();
  readonly #verdictsAhead = new Set<string>();
  /** Migrations with an event beyond the point folded at start. */
  readonly #ahead = new Set<string>();

  /**
   * Folds the event at `position` and judges it there. The caller keeps the order: the offset
   * must be the next one this ledger expects on the partition (see `expects`).
   */
  apply(event: LedgerEvent, position: LogPosition): Judgement {
    const ledger = this.#partition(position.partition);
    const judgement = ledger.apply(event, position.key);
    this.#next.set(position.partition, BigInt(position.offset) + 1n);
    const migrationId = (event.data as { migrationId?: unknown } | null)?.migrationId;
    if (typeof migrationId === "string" && judgement.kind !== "invalid") {
      this.#where.set(migrationId, position.partition);
    }
    return judgement;
  }

  /**
   * Is `offset` the next record of the partition after what this ledger folded (or marked)? A
   * partition it knows nothing of expects nothing: the reader must fold it from its start first.
   */
  expects(partition: number, offset: string): boolean {
    return this.#next.get(partition) === BigInt(offset);
  }

  /** Records that the partition has been folded up to `next` (exclusive), with no event to fold. */
  mark(partition: number, next: string): void {
    this.#partition(partition);
    this.#next.set(partition, BigInt(next));
  }

  /** Has the partition been folded past `offset` already (a record seen again)? */
  folded(partition: number, offset: string): boolean {
    const next = this.#next.get(partition);
    return next !== undefined && BigInt(offset) < next;
  }

  /** Forgets a partition, to fold it again from its start. */
  reset(partition: number): void {
    this.#partitions.delete(partition);
    this.#next.delete(partition);
    for (const [migrationId, where] of this.#where) {
      if (where === partition) this.#where.delete(migrationId);
    }
  }

  /**
   * Notes an event that lies beyond what was folded (read ahead at start): admission must not
   * answer a request twice when it meets it again after a restart, nor a watch taken up again
   * act ahead of what the log holds already.
   */
  noteVerdictAhead(event: LedgerEvent): void {
    const migrationId = (event.data as { migrationId?: unknown } | null)?.migrationId;
    if (typeof migrationId !== "string") return;
    this.#ahead.add(migrationId);
    if (verdictTypes.has(event.type)) this.#verdictsAhead.add(migrationId);
  }

  /**
   * Did the log hold an event of this migration beyond the point folded at start? Its consumer
   * will meet it: a watch taken up at start must not act ahead of it.
   */
  hasEventsAhead(migrationId: string): boolean {
    return this.#ahead.has(migrationId);
  }

  /** Every migration folded so far, partition by partition. */
  *entries(): IterableIterator<LedgerEntry> {
    for (const ledger of this.#partitions.values()) yield* ledger.entries();
  }

  /** Was this request answered in the log beyond the point folded at start? */
  answeredAhead(migrationId: string): boolean {
    return this.#verdictsAhead.has(migrationId);
  }

  migration(migrationId: string): LedgerEntry | undefined {
    const partition = this.#where.get(migrationId);
    return partition === undefined
      ? undefined
      : this.#partitions.get(partition)?.migration(migrationId);
  }

  /** The migration of a workload under way, in whichever partition holds it. */
  running(workload: string): string | undefined {
    for (const ledger of this.#partitions.values()) {
      const running = ledger.running(workload);
      if (running) return running;
    }
    return undefined;
  }

  /**
   * Judges an event of another topic (the control topic's fence) by where its migration stands
   * in the migrations log as folded so far. The two topics are not ordered with each other, so
   * this only keeps a service from acting for a migration that has already failed or ended; what
   * such an act emits onto the migrations log is judged there again, by its order.
   */
  judgeOutside(event: LedgerEvent): Judgement {
    const migrationId = (event.data as { migrationId?: unknown } | null)?.migrationId;
    if (typeof migrationId !== "string") return { kind: "act" };
    const entry = this.migration(migrationId);
    if (!entry) {
      return { kind: "stale", reason: `no migration ${migrationId} in the log`, ended: false };
    }
    if (entry.stage === "admitted") return { kind: "act" };
    return {
      kind: "stale",
      reason: `${event.type} of a migration that is ${entry.stage}`,
      ended: entry.stage === "failed" || entry.stage === "ended",
    };
  }

  #partition(partition: number): PartitionLedger {
    let ledger = this.#partitions.get(partition);
    if (!ledger) {
      ledger = new PartitionLedger();
      this.#partitions.set(partition, ledger);
    }
    return ledger;
  }
}
