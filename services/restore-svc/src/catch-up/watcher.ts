import { type Context, context } from "@opentelemetry/api";
import {
  type DataOf,
  type IncomingEvent,
  type OutgoingEvent,
  ShadowCaughtUp,
  type ShadowEvent,
  ShadowRestored,
  validateEvent,
} from "@shadow/events";
import type { LogLedger } from "@shadow/migration";
import type { CatchUpDeps, CatchUps } from "../deps.ts";
import { watchFence } from "./fence-watch.ts";
import { watchCatchUp } from "./watch.ts";

type Restored = IncomingEvent<typeof ShadowRestored.type>;
type CaughtUp = IncomingEvent<typeof ShadowCaughtUp.type>;

/**
 * Sends what a watch ended with; ids derive from `cause` (see deriveEventId), the n-th event
 * from `first + n`, as a handler's would.
 */
export type CatchUpEmit = (
  events: OutgoingEvent[],
  cause: IncomingEvent,
  first?: number,
) => Promise<void>;

/** Is the fence of this migration round under way in the log as folded so far? */
export type FenceUnderWay = (migrationId: string, round: number) => boolean;

/** SourceLost's id derives from the ShadowRestored after ShadowCaughtUp's (index 0). */
const SOURCE_LOST_INDEX = 1;

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
    /** Whether to watch the source through the fence too (see fence-watch.ts); never if absent. */
    private readonly fenceUnderWay: FenceUnderWay = () => false,
  ) {}

  /** Starts watching this migration's catch-up; a no-op when it is watched already. */
  watch(event: Restored): void {
    this.#start(keyOf(event), (watch, trace) => this.#run(event, watch, trace));
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
      const type = entry.lastStep?.type;
      if (entry.stage !== "admitted") continue;
      if (type !== ShadowRestored.type && type !== ShadowCaughtUp.type) continue;
      if (ledger.hasEventsAhead(entry.migrationId)) continue;
      // The gate folds whole events: the last step is the event as the log has it.
      const valid = validateEvent(entry.lastStep as ShadowEvent);
      if (!valid.ok) continue;
      if (valid.event.type === ShadowRestored.type) this.watch(valid.event as Restored);
      else if (valid.event.type === ShadowCaughtUp.type) this.watchFence(valid.event as CaughtUp);
      else continue;
      resumed += 1;
    }
    return resumed;
  }

  /**
   * Watches the source through a fence the log shows under way (taken up after a restart);
   * a no-op when its migration is watched already.
   */
  watchFence(event: CaughtUp): void {
    if (!this.#watchesFence(event.data)) return;
    this.#start(keyOf(event), (watch, trace) =>
      context.with(trace, () => this.#fence(event.data, event, 0, watch)),
    );
  }

  /** Registers a watch of one migration round under `key`, unless one runs already. */
  #start(key: string, run: (watch: Watch, trace: Context) => Promise<void>): void {
    if (this.#watches.has(key)) return;
    const watch: Watch = { stopped: false, done: Promise.resolve() };
    watch.done = run(watch, context.active()).finally(() => {
      if (this.#watches.get(key) === watch) this.#watches.delete(key);
    });
    this.#watches.set(key, watch);
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
    if (!(await context.with(trace, () => this.#send(outcome, event, 0, stopped)))) return;
    const caughtUp = outcome[0];
    if (caughtUp?.type !== ShadowCaughtUp.type) return;
    const data = caughtUp.data as DataOf<typeof ShadowCaughtUp>;
    if (!this.#watchesFence(data)) return;
    await context.with(trace, () => this.#fence(data, event, SOURCE_LOST_INDEX, watch));
  }

  /** A fence whose source can still answer it: not the sequential baseline's, not a failover's. */
  #watchesFence(d: DataOf<typeof ShadowCaughtUp>): boolean {
    return d.strategy === "shadow" && d.sourceLost !== true;
  }

  async #fence(
    d: DataOf<typeof ShadowCaughtUp>,
    cause: IncomingEvent,
    first: number,
    watch: Watch,
  ): Promise<void> {
    const round = d.handoff.round;
    const fencing = () =>
      !watch.stopped && this.live(d.migrationId) && this.fenceUnderWay(d.migrationId, round);
    const outcome = await watchFence(d, this.deps, fencing);
    await this.#send(outcome, cause, first, () => !fencing());
  }

  /** Sends a watch's outcome until the bus takes it; false if nothing was sent. */
  async #send(
    outcome: OutgoingEvent[],
    cause: IncomingEvent,
    first: number,
    stopped: () => boolean,
  ): Promise<boolean> {
    while (outcome.length > 0 && !stopped()) {
      try {
        await this.emit(outcome, cause, first);
        return true;
      } catch (error) {
        this.deps.log?.info(
          {
            migrationId: (cause.data as { migrationId?: string }).migrationId,
            error: (error as Error).message,
          },
          "catch-up outcome not sent: trying again",
        );
        await this.deps.sleep(EMIT_RETRY_MS);
      }
    }
    return false;
  }
}

function keyOf(event: Restored | CaughtUp): string {
  return `${event.data.migrationId}@${event.data.handoff.round}`;
}
