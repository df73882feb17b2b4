import { type Context, context } from "@opentelemetry/api";
import {
  type IncomingEvent,
  type OutgoingEvent,
  type ShadowEvent,
  ShadowRestored,
  validateEvent,
} from "@shadow/events";
import type { LogLedger } from "@shadow/migration";
import type { CatchUpDeps, CatchUps } from "../deps.ts";
import { watchCatchUp } from "./watch.ts";

type Restored = IncomingEvent<typeof ShadowRestored.type>;

/** Sends what a watch ended with; ids derive from `cause` (see deriveEventId), as a handler's. */
export type CatchUpEmit = (events: OutgoingEvent[], cause: Restored) => Promise<void>;

interface Watch {
  stopped: boolean;
  done: Promise<void>;
}

/** How long to wait before sending a watch's outcome again when the bus refused it. */
const EMIT_RETRY_MS = 2_000;

/**
 * The catch-up watches of restore-svc, one per migration and round, each running beside the
 * consumer: the ShadowRestored handler starts one and returns at once, so no handler holds its
 * partition for a catch-up, and migrations catch up side by side, none waiting for another's.
 *
 * Nothing of a watch lives only in this process: the ShadowRestored that started it is in the
 * log, and a watch ends with an event in the log. A restart takes up, from the ledger folded at
 * start, every migration whose last step there is ShadowRestored and that has nothing further in
 * the log (`resume`); the outcome's id derives from the ShadowRestored's, so one sent twice (a
 * crash right after sending) is the same event, and the gates take the second for a replay.
 */
export class CatchUpWatcher implements CatchUps {
  readonly #watches = new Map<string, Watch>();

  constructor(
    private readonly deps: CatchUpDeps,
    private readonly emit: CatchUpEmit,
    /** Is the migration still at its catch-up in the log as folded so far? */
    private readonly live: (migrationId: string) => boolean = () => true,
  ) {}

  /** Starts watching this migration's catch-up; a no-op when it is watched already. */
  watch(event: Restored): void {
    const key = keyOf(event);
    if (this.#watches.has(key)) return;
    const watch: Watch = { stopped: false, done: Promise.resolve() };
    const trace = context.active();
    watch.done = this.#run(event, watch, trace).finally(() => {
      if (this.#watches.get(key) === watch) this.#watches.delete(key);
    });
    this.#watches.set(key, watch);
  }

  /** Ends the migration's watches (it failed or ended): nothing more is sent for them. */
  stop(migrationId: string): void {
    for (const [key, watch] of this.#watches) {
      if (key.startsWith(`${migrationId}@`)) watch.stopped = true;
    }
  }

  /** Migrations watched now. */
  watching(): string[] {
    return [...this.#watches.keys()];
  }

  /**
   * Takes up the watches a previous run of restore-svc left: every migration whose last step in
   * the folded log is ShadowRestored, with nothing of it further on in the log.
   */
  resume(ledger: LogLedger): number {
    let resumed = 0;
    for (const entry of ledger.entries()) {
      if (entry.stage !== "admitted" || entry.lastStep?.type !== ShadowRestored.type) continue;
      if (ledger.hasEventsAhead(entry.migrationId)) continue;
      // The gate folds whole events: the last step is the ShadowRestored as the log has it.
      const valid = validateEvent(entry.lastStep as ShadowEvent);
      if (!valid.ok || valid.event.type !== ShadowRestored.type) continue;
      this.watch(valid.event as Restored);
      resumed += 1;
    }
    return resumed;
  }

  /** Settles once every watch has ended (tests; a stop after `stopAll`). */
  async idle(): Promise<void> {
    while (this.#watches.size > 0) {
      await Promise.all([...this.#watches.values()].map((w) => w.done));
    }
  }

  /** Ends every watch and waits for them: a stopping service sends nothing more. */
  async stopAll(): Promise<void> {
    for (const watch of this.#watches.values()) watch.stopped = true;
    await this.idle();
  }

  async #run(event: Restored, watch: Watch, trace: Context): Promise<void> {
    const stopped = () => watch.stopped || !this.live(event.data.migrationId);
    const startedAt = Date.parse(event.time);
    const outcome = await context.with(trace, () =>
      watchCatchUp(
        event.data,
        Number.isNaN(startedAt) ? this.deps.now() : startedAt,
        this.deps,
        stopped,
      ),
    );
    while (outcome.length > 0 && !stopped()) {
      try {
        await context.with(trace, () => this.emit(outcome, event));
        return;
      } catch (error) {
        this.deps.log?.info(
          { migrationId: event.data.migrationId, error: (error as Error).message },
          "catch-up outcome not sent: trying again",
        );
        await this.deps.sleep(EMIT_RETRY_MS);
      }
    }
  }
}

function keyOf(event: Restored): string {
  return `${event.data.migrationId}@${event.data.handoff.round}`;
}
