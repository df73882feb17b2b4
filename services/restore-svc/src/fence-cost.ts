/**
 * What fencing now would cost the workload: at the fence the source stops at its cut and the
 * shadow must replay what it still lags before it takes over, so inputs wait about lag / the
 * shadow's replay rate. Deciding by that time, not by a record count, lets a shadow that
 * replays fast fence with a few records to go, and one that replays slowly wait a little
 * longer (a live VM migration's stop-and-copy is decided the same way: by the time the
 * remaining dirty memory takes, against a downtime budget).
 */
export class FenceCost {
  private readonly samples: { at: number; processed: number }[] = [];

  /** `windowMs`: the rate is the shadow's over about this long, so it follows a change. */
  constructor(private readonly windowMs = 2_000) {}

  /** One reading of the records the shadow has processed (any monotonic count). */
  observe(now: number, processed: number): void {
    this.samples.push({ at: now, processed });
    // Keep one sample at or before the window's start, so the window is always spanned.
    while (this.samples.length > 2 && now - (this.samples[1]?.at ?? now) >= this.windowMs) {
      this.samples.shift();
    }
  }

  /** Records per second over the window; undefined until readings span 200 ms. */
  rate(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 200) return undefined;
    return ((last.processed - first.processed) * 1000) / (last.at - first.at);
  }

  /** Milliseconds to replay `lag` records at the current rate (Infinity when it does not move). */
  estimateMs(lag: number): number {
    if (lag <= 0) return 0;
    const rate = this.rate();
    return rate === undefined || rate <= 0 ? Number.POSITIVE_INFINITY : (lag * 1000) / rate;
  }
}

export interface FenceDecision {
  /** Fence now. */
  fence: boolean;
  /** It was the lag that stopped shrinking that made it fence, at the cost of `estimateMs`. */
  forced: boolean;
  estimateMs: number;
}

/**
 * When to fence: the lag is within the record threshold, or replaying it fits the budget (the
 * source's checkpoint pause plus 50 ms by default: no worse than the freeze the workload has
 * already taken); or the lag has stopped shrinking (a workload above its capacity, whose
 * shadow and source both run at their ceiling) and replaying it costs at most `maxExtraMs`:
 * then fencing anyway is the only way the migration completes, and its cost is known.
 */
export function decideFence(input: {
  lag: number;
  threshold: number;
  estimateMs: number;
  budgetMs: number;
  stalled: boolean;
  maxExtraMs: number;
}): FenceDecision {
  const { lag, threshold, estimateMs, budgetMs, stalled, maxExtraMs } = input;
  if (lag <= threshold || estimateMs <= budgetMs) return { fence: true, forced: false, estimateMs };
  if (stalled && maxExtraMs > 0 && estimateMs <= maxExtraMs) {
    return { fence: true, forced: true, estimateMs };
  }
  return { fence: false, forced: false, estimateMs };
}
