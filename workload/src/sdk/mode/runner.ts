import type { Logger } from "pino";
import type { ControlEvent } from "../../control/channel.ts";
import type { Mode, PendingOutput, WorkloadCounts } from "../../types.ts";
import type { HeldBack } from "../held-back.ts";
import type { Identity } from "../identity.ts";
import type { Lock } from "../lock.ts";
import type { OutputPipeline } from "../output-pipeline.ts";
import type { Progress } from "../progress.ts";
import type { Effect } from "./effects.ts";
import type { ModeEvent } from "./events.ts";
import { IllegalTransition, step, UndeclaredTransition } from "./machine.ts";
import {
  type Consumption,
  consumptionOf,
  isFencing,
  type ModeState,
  modeOf,
  type PhaseName,
  routeOf,
} from "./state.ts";
import type { Readings } from "./transition.ts";

/**
 * What the effects act on: the process's buffers and its ways out. Nothing here reads or sets
 * the mode; the machine alone decides, and these only carry out what it returned.
 */
export interface ModeResources {
  readonly progress: Progress;
  readonly held: HeldBack;
  readonly pipeline: OutputPipeline;
  readonly lock: Lock;
  readonly counts: WorkloadCounts;
  /** Who this process is now, as the identity file said at the last check. */
  identity(): Identity;
  log(): Logger;
  /** Publishes on the control topic under the current session, retrying; false if it ended first. */
  publish(event: ControlEvent): Promise<boolean>;
  commitNow(): Promise<void>;
  /** Pauses or resumes input to match the phase (resuming seeks right after what was processed). */
  updateFlow(): void;
  now?(): number;
  /** When this process took its current identity (default: never refuses a fence for it). */
  identitySince?(): number;
}

export interface ModeRunnerOptions {
  /**
   * How long a fenced source waits after its cut for FencePassed or FenceAborted before it
   * aborts its own fence through the log (default 30 s).
   */
  fenceDeadlineMs?: number;
}

export const DEFAULT_FENCE_DEADLINE_MS = 30_000;

const done: Promise<void> = Promise.resolve();

/** Holds the machine's state, feeds it events and carries out the effects it returns. */
export class ModeRunner {
  private current: ModeState;
  private readonly resources: ModeResources;
  private readonly readings: Readings;
  private readonly deadlineMs: number;

  constructor(resources: ModeResources, initial: ModeState, options: ModeRunnerOptions = {}) {
    this.resources = resources;
    this.current = initial;
    this.deadlineMs = options.fenceDeadlineMs ?? DEFAULT_FENCE_DEADLINE_MS;
    const now = () => (resources.now ? resources.now() : Date.now());
    this.readings = {
      get now() {
        return now();
      },
      get identity() {
        return resources.identity();
      },
      get identitySince() {
        return resources.identitySince ? resources.identitySince() : 0;
      },
      passed: (cut) => resources.progress.passed(cut),
      behind: (cut) => resources.progress.behind(cut),
      heldUpTo: (positions) => resources.held.countUpTo(positions),
      get heldSize() {
        return resources.held.size;
      },
    };
  }

  get state(): ModeState {
    return this.current;
  }

  get phase(): PhaseName {
    return this.current.phase.name;
  }

  get mode(): Mode {
    return modeOf(this.current.phase);
  }

  get fencing(): boolean {
    return isFencing(this.current.phase);
  }

  get consumption(): Consumption {
    return consumptionOf(this.current.phase);
  }

  /**
   * Steps the machine and carries out its effects in order: those before the first wait run
   * before this returns, so a change of phase and what goes with it are one synchronous act.
   * The promise settles once every effect (and any event they report) is done.
   */
  feed(event: ModeEvent): Promise<void> {
    const before = this.current;
    let effects: readonly Effect[];
    try {
      const outcome = step(before, event, this.readings);
      this.current = outcome.state;
      effects = outcome.effects;
    } catch (error) {
      if (!(error instanceof IllegalTransition || error instanceof UndeclaredTransition))
        throw error;
      this.resources
        .log()
        .error({ err: error, migrationId: error.migrationId }, "transition refused");
      return done;
    }
    if (this.current.phase.name !== before.phase.name) {
      this.resources
        .log()
        .info({ from: before.phase.name, to: this.current.phase.name, event: event.type }, "phase");
    }
    return effects.length === 0 ? done : this.execute(effects);
  }

  /**
   * Where the outputs of a record just processed go, by the phase now: produced, held back
   * (those the source produced dropped), or dropped.
   */
  route(outputs: PendingOutput[]): void {
    const { pipeline, held, counts } = this.resources;
    const route = routeOf(this.current.phase);
    if (route.to === "produce") {
      pipeline.enqueue(outputs);
      return;
    }
    if (route.to === "discard") {
      counts.discarded += outputs.length;
      return;
    }
    let dropped = 0;
    for (const output of outputs) {
      if (route.covering?.covers(output.input)) dropped += 1;
      else held.hold([output]);
    }
    counts.discarded += dropped;
    counts.held += outputs.length - dropped;
  }

  private async execute(effects: readonly Effect[]): Promise<void> {
    const r = this.resources;
    for (const effect of effects) {
      switch (effect.kind) {
        case "update-flow":
          r.updateFlow();
          break;
        case "settle":
          // The record in flight finishes (its outputs enter the pipeline); later ones are
          // refused. Then every output acknowledged and committed: the cut means "produced".
          await r.lock.run(() => undefined);
          await r.pipeline.flush();
          await r.commitNow();
          await this.feed({
            type: "cut-taken",
            attempt: effect.attempt,
            migrationId: effect.migrationId,
            cut: r.progress.cut(),
          });
          break;
        case "publish-cut":
          if (await r.publish(effect.event)) {
            await this.feed({ type: "cut-published", fenceId: effect.event.data.fenceId });
          }
          break;
        case "publish-passed":
        case "publish-abort":
          // Not awaited: either counts only once read back from the log.
          void r.publish(effect.event);
          break;
        case "arm-deadline": {
          const { fenceId } = effect;
          const afterMs = this.deadlineMs;
          // A deadline of a fence that ended since is a no-op: nothing to cancel.
          setTimeout(() => void this.feed({ type: "deadline", fenceId, afterMs }), afterMs).unref();
          break;
        }
        case "drop-held":
          r.counts.discarded += r.held.discardUpTo(effect.upTo);
          break;
        case "release-held":
          r.pipeline.enqueue(r.held.takeAll());
          break;
        case "clear-held":
          r.held.clear();
          break;
        case "flush-and-commit":
          await Promise.race([r.pipeline.flush(), delay(5_000)]);
          await r.commitNow();
          break;
        case "log":
          r.log()[effect.level](effect.fields, effect.message);
          break;
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
