import { NodePressureDetected, type OutgoingEvent, outgoing } from "@shadow/events";
import type { Logger } from "@shadow/otel/logger";
import {
  type Condition,
  type ConditionState,
  noConditions,
  observe,
} from "../policy/conditions.ts";
import type { PolicyConfig } from "../policy/config.ts";
import type { SignalSource } from "../signals/types.ts";
import { keyOf, toAnnounce } from "./announce.ts";

export interface WatcherOptions {
  signals: SignalSource;
  config: PolicyConfig;
  /** Publishes one NodePressureDetected (the trace of a decision starts there). */
  announce(event: OutgoingEvent): Promise<void>;
  logger: Logger;
  intervalMs: number;
  resyncMs: number;
}

/**
 * Looks at the nodes every `intervalMs` (at once when the signal source says something
 * changed), passes what it sees through the policy's hysteresis, and announces the conditions
 * that hold as NodePressureDetected on the pressure topic, where the handler decides.
 */
export class PressureWatcher {
  #state: ConditionState = noConditions;
  #active: Condition[] = [];
  readonly #announced = new Map<string, number>();
  readonly #nudged = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #looking: Promise<void> | undefined;
  #stopped = false;
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly options: WatcherOptions) {}

  /** The conditions that held at the last look. */
  conditions(): readonly Condition[] {
    return this.#active;
  }

  /** A migration off `node` ended: its conditions are announced again at the next look. */
  nudge(node: string): void {
    this.#nudged.add(node);
    void this.look();
  }

  start(): void {
    this.#unsubscribe = this.options.signals.onChange?.(() => void this.look());
    const tick = () => {
      if (this.#stopped) return;
      void this.look().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.options.intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
    await this.#looking;
  }

  /** One look; overlapping calls share the one under way. */
  look(): Promise<void> {
    this.#looking ??= this.#look().finally(() => {
      this.#looking = undefined;
    });
    return this.#looking;
  }

  async #look(): Promise<void> {
    const { logger, config } = this.options;
    try {
      const snapshot = await this.options.signals.snapshot();
      const seen = observe(this.#state, snapshot, config);
      this.#state = seen.state;
      this.#active = seen.active;
      for (const c of seen.began) {
        logger.warn(
          { node: c.node, kind: c.kind, value: c.value, threshold: c.threshold },
          "node under pressure",
        );
      }
      for (const c of seen.ended)
        logger.info({ node: c.node, kind: c.kind }, "node pressure cleared");
      for (const key of [...this.#announced.keys()]) {
        if (!seen.active.some((c) => keyOf(c) === key)) this.#announced.delete(key);
      }
      const now = snapshot.at.getTime();
      const due = toAnnounce(
        seen.active,
        this.#announced,
        this.#nudged,
        now,
        this.options.resyncMs,
      );
      this.#nudged.clear();
      for (const c of due) {
        await this.options.announce(
          outgoing(NodePressureDetected, {
            node: c.node,
            kind: c.kind,
            value: c.value,
            threshold: c.threshold,
            observedAt: snapshot.at.toISOString(),
          }),
        );
        this.#announced.set(keyOf(c), now);
      }
    } catch (error) {
      logger.warn({ err: error }, "could not look at the nodes; trying again at the next look");
    }
  }
}
