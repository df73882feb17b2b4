/**
 * Auto-converge for a catch-up that does not converge: when the shadow's lag behind the source
 * has not shrunk by a tenth over a whole window, the source's CPU is capped one step further
 * (then the next window is watched). On a saturated machine the source and the shadow share
 * the same cores, and a shadow that only keeps pace never catches up; slowing the source lets
 * it. Nothing is lost: the source serves slower, its backlog stays in the log and is the new
 * primary's after the handover.
 */
export interface ConvergeOptions {
  /** How long a lag may stay (nearly) flat before the source is slowed; 0 turns this off. */
  windowMs: number;
  /** The caps, in CPUs, applied one after the other. */
  steps?: readonly number[];
}

/**
 * The source keeps serving under the cap, so the last step leaves it enough to answer: at
 * 0.1 CPUs a 1 GB Node service no longer answered its status or an HTTP probe within 2 s.
 */
export const DEFAULT_CPU_STEPS = [0.5, 0.35, 0.25] as const;

export class CatchUpConvergence {
  private windowStart: { at: number; lag: number } | undefined;
  private step = -1;
  private flat = false;
  private readonly steps: readonly number[];

  constructor(private readonly options: ConvergeOptions) {
    this.steps = options.steps ?? DEFAULT_CPU_STEPS;
  }

  /** The last whole window ended with the lag not a tenth smaller: it stopped shrinking. */
  get stalled(): boolean {
    return this.flat;
  }

  /** The cap in force (CPUs), if one was set. */
  get cap(): number | undefined {
    return this.steps[this.step];
  }

  /**
   * Takes one lag sample; returns the new cap for the source when it must change, otherwise
   * undefined.
   */
  observe(now: number, lag: number): number | undefined {
    if (this.options.windowMs <= 0) return undefined;
    if (!this.windowStart) {
      this.windowStart = { at: now, lag };
      return undefined;
    }
    if (now - this.windowStart.at < this.options.windowMs) return undefined;
    const converging = lag < this.windowStart.lag * 0.9;
    this.flat = !converging;
    this.windowStart = { at: now, lag };
    if (converging || this.step >= this.steps.length - 1) return undefined;
    this.step += 1;
    return this.steps[this.step];
  }
}
