import {
  CheckpointArchived,
  CheckpointCreated,
  CheckpointImageReady,
  FenceCompleted,
  MigrationAdmitted,
  MigrationCompleted,
  MigrationFailed,
  MigrationRejected,
  MigrationRequested,
  RolledBack,
  ShadowCaughtUp,
  ShadowRestored,
  SourceDrained,
} from "@shadow/events";

/** The event that ends each step that can fail, in its round. */
const stepDone: Readonly<Record<string, string>> = {
  checkpoint: CheckpointCreated.type,
  "identity-swap": CheckpointCreated.type,
  image: CheckpointImageReady.type,
  restore: ShadowRestored.type,
  "catch-up": ShadowCaughtUp.type,
  fence: FenceCompleted.type,
  drain: SourceDrained.type,
};

/** The part of a valid event the ledger reads. */
export interface LedgerEvent {
  type: string;
  data: unknown;
}

/**
 * Where a migration stands in the log: `requested` until admission answers, `admitted` while
 * its steps run, `failed` while its compensations run, `ended` once it completed, rolled back
 * or was refused.
 */
export type Stage = "requested" | "admitted" | "failed" | "ended";

/**
 * How the log decided a request at its place: `pending` when no other migration of its workload
 * was under way (admission then checks the runtime), `busy` when one was (refused, naming it).
 */
export type Decision = { kind: "pending" } | { kind: "busy"; running: string };

export interface LedgerEntry {
  readonly migrationId: string;
  readonly workload: string;
  readonly stage: Stage;
  readonly decision: Decision;
  /** The last step event acted on (a restarted service takes up a watch from it). */
  readonly lastStep: LedgerEvent | undefined;
}

/** What the ledger says of an event at its place in the log. */
export type Judgement =
  | { kind: "act" }
  /** Nothing to do: a replay, or an event of a migration not at that step (`ended`: past it). */
  | { kind: "stale"; reason: string; ended: boolean }
  /** A dead letter: the event cannot be placed in the log's order. */
  | { kind: "invalid"; code: "misrouted"; reason: string };

interface Entry extends LedgerEntry {
  stage: Stage;
  decision: Decision;
  lastStep: LedgerEvent | undefined;
  /** The steps seen in the log, as `<type>@<round>`: a second one is a replay. */
  readonly seen: Set<string>;
}

const terminal: ReadonlySet<string> = new Set([MigrationCompleted.type, RolledBack.type]);

function dataOf(event: LedgerEvent): Record<string, unknown> {
  return typeof event.data === "object" && event.data !== null
    ? (event.data as Record<string, unknown>)
    : {};
}

function stepKey(event: LedgerEvent): string {
  const handoff = dataOf(event).handoff as { round?: unknown } | undefined;
  return `${event.type}@${typeof handoff?.round === "number" ? handoff.round : 0}`;
}

const act: Judgement = { kind: "act" };

/**
 * What one partition of the migrations log says about the migrations in it: which migration of
 * each workload is under way, and where each migration stands. A pure fold over the partition
 * in its order, so every reader of the partition (each service, the gateway, a process started
 * again and folding the partition from its start) judges every event in it alike: the log
 * decides, never a check inside one process.
 *
 * The rules, per event at its place:
 * - MigrationRequested: its Kafka key must be its workload (else it could sit in another
 *   partition than the workload's other migrations, out of their order). The first request of
 *   a migration id is decided here: busy if a migration of its workload is under way (admitted,
 *   or requested and not yet answered), else pending, and from then it is the one under way.
 *   A request seen before (same migration id) is a replay: no second decision.
 * - MigrationAdmitted / MigrationRejected: the answer to a pending request. A rejection frees the
 *   workload. Anything else (a second verdict, a verdict for no request) is stale.
 * - MigrationFailed: the first failure of an admitted migration starts its compensations; a
 *   failure that nobody compensates (the drain's, past the fence, or one without a handoff)
 *   ends it at once. Later ones are stale.
 * - MigrationCompleted / RolledBack: end an admitted or failed migration and free its workload.
 * - CheckpointArchived: an epilogue, not a step. A streamed dump's OCI image is built and pushed
 *   only once its migration has ended (see image-svc), so it acts after the end, once per image
 *   digest (a swap archives two); before the end it cannot be in order, and is stale.
 * - Any other step: acts once per round, and only while its migration is admitted; a second one
 *   is a replay, and one after the migration failed or ended is late.
 */
export class PartitionLedger {
  readonly #migrations = new Map<string, Entry>();
  /** The migration under way per workload: pending or admitted, failed and compensating. */
  readonly #running = new Map<string, string>();

  /** Folds one valid event in and says what may be done about it. `key` is its Kafka key. */
  apply(event: LedgerEvent, key: string | null): Judgement {
    const data = dataOf(event);
    const migrationId = typeof data.migrationId === "string" ? data.migrationId : undefined;
    if (migrationId === undefined) return act;
    if (event.type === MigrationRequested.type) {
      return this.#request(migrationId, String(data.workload), key);
    }
    const entry = this.#migrations.get(migrationId);
    if (!entry) {
      return { kind: "stale", reason: `no request for ${migrationId} in the log`, ended: false };
    }
    if (event.type === MigrationAdmitted.type || event.type === MigrationRejected.type) {
      return this.#verdict(entry, event);
    }
    if (event.type === MigrationFailed.type) return this.#failure(entry, data);
    if (event.type === CheckpointArchived.type) return this.#epilogue(entry, event);
    if (terminal.has(event.type)) {
      if (entry.stage !== "admitted" && entry.stage !== "failed") {
        return this.#stale(entry, `${event.type} of a migration that is ${entry.stage}`);
      }
      this.#end(entry);
      return act;
    }
    if (entry.stage !== "admitted") {
      return this.#stale(entry, `${event.type} of a migration that is ${entry.stage}`);
    }
    const step = stepKey(event);
    if (entry.seen.has(step)) {
      return { kind: "stale", reason: `a replay: ${step} is in the log already`, ended: false };
    }
    entry.seen.add(step);
    entry.lastStep = event;
    return act;
  }

  /** Every migration of this partition, in the order of their requests. */
  entries(): IterableIterator<LedgerEntry> {
    return this.#migrations.values();
  }

  /** Where a migration of this partition stands. */
  migration(migrationId: string): LedgerEntry | undefined {
    return this.#migrations.get(migrationId);
  }

  /** The migration of a workload under way here (pending, admitted or compensating). */
  running(workload: string): string | undefined {
    return this.#running.get(workload);
  }

  #request(migrationId: string, workload: string, key: string | null): Judgement {
    if (key !== workload) {
      return {
        kind: "invalid",
        code: "misrouted",
        reason: `MigrationRequested ${migrationId} must be keyed by its workload "${workload}", not ${key === null ? "no key" : `"${key}"`}: only the workload's own partition orders its migrations`,
      };
    }
    const known = this.#migrations.get(migrationId);
    if (known) {
      return {
        kind: "stale",
        reason: `a replay: request ${migrationId} was decided already (${known.stage})`,
        ended: known.stage === "ended",
      };
    }
    const running = this.#running.get(workload);
    const entry: Entry = running
      ? {
          migrationId,
          workload,
          stage: "ended",
          decision: { kind: "busy", running },
          lastStep: undefined,
          seen: new Set(),
        }
      : {
          migrationId,
          workload,
          stage: "requested",
          decision: { kind: "pending" },
          lastStep: undefined,
          seen: new Set(),
        };
    this.#migrations.set(migrationId, entry);
    if (!running) this.#running.set(workload, migrationId);
    return act;
  }

  #verdict(entry: Entry, event: LedgerEvent): Judgement {
    const step = stepKey(event);
    const busy = entry.decision.kind === "busy";
    // A busy request's refusal only confirms what the log decided at the request.
    if (busy && event.type === MigrationRejected.type && !entry.seen.has(step)) {
      entry.seen.add(step);
      return act;
    }
    if (entry.stage !== "requested") {
      return this.#stale(entry, `${event.type} of a request that is ${entry.stage} already`);
    }
    entry.seen.add(step);
    if (event.type === MigrationAdmitted.type) entry.stage = "admitted";
    else this.#end(entry);
    return act;
  }

  #failure(entry: Entry, data: Record<string, unknown>): Judgement {
    if (entry.stage !== "admitted") {
      return this.#stale(entry, `a failure of a migration that is ${entry.stage}`);
    }
    // A failure of a step the log already shows done (a watchdog's or a cancellation's, judged
    // from a projection that had not read that far) is too late: the log's order puts the step's
    // end first, and compensating it then would remove the copy that took over.
    const done = typeof data.step === "string" ? stepDone[data.step] : undefined;
    const round = (data.handoff as { round?: unknown } | undefined)?.round;
    if (done && entry.seen.has(`${done}@${typeof round === "number" ? round : 0}`)) {
      return this.#stale(entry, `a failure of ${String(data.step)}, which the log shows done`);
    }
    // Past the fence nothing is compensated (the target serves), and without a handoff there is
    // nothing to compensate: no event would end the migration, so its failure does.
    const uncompensated = data.step === "drain" || data.handoff === undefined;
    if (uncompensated) this.#end(entry);
    else entry.stage = "failed";
    return act;
  }

  #epilogue(entry: Entry, event: LedgerEvent): Judgement {
    if (entry.stage !== "ended") {
      return this.#stale(entry, `${event.type} of a migration that is ${entry.stage}, not ended`);
    }
    const step = `${event.type}@${String(dataOf(event).digest)}`;
    if (entry.seen.has(step)) {
      return { kind: "stale", reason: `a replay: ${step} is in the log already`, ended: true };
    }
    entry.seen.add(step);
    return act;
  }

  #end(entry: Entry): void {
    entry.stage = "ended";
    if (this.#running.get(entry.workload) === entry.migrationId) {
      this.#running.delete(entry.workload);
    }
  }

  #stale(entry: Entry, reason: string): Judgement {
    return { kind: "stale", reason, ended: entry.stage === "failed" || entry.stage === "ended" };
  }
}
