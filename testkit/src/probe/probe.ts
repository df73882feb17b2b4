export interface ProbeOptions {
  url: string;
  /** Default 10 ms, the paper's probe interval. */
  intervalMs?: number;
  /** A probe slower than this counts as failed (default 100 ms). */
  timeoutMs?: number;
  /** One probe: whether it was answered in time (default: a GET of `url`, 2xx within the timeout). */
  check?: (url: string, timeoutMs: number) => Promise<boolean>;
}

export interface FailStreak {
  /** Consecutive failed probes. */
  count: number;
  /** From the first failed probe's start to the next successful probe's start. */
  ms: number;
  from: number;
  to: number;
}

export interface ProbeReport {
  url: string;
  probes: number;
  failures: number;
  longestFailStreak: FailStreak;
}

export interface Probe {
  report(): ProbeReport;
  stop(): Promise<ProbeReport>;
}

export interface ProbeResult {
  startedAt: number;
  finishedAt: number;
  ok: boolean;
}

/**
 * Probes an HTTP endpoint every 10 ms, the paper's way of measuring downtime: the longest
 * streak of failed probes is the time nobody answered. Probes start on schedule even while
 * earlier ones hang, so a stall shows up as a streak, not as fewer probes.
 */
export function startProbe(options: ProbeOptions): Probe {
  const interval = options.intervalMs ?? 10;
  const timeout = options.timeoutMs ?? 100;
  const results: ProbeResult[] = [];
  const pending = new Set<Promise<void>>();
  const check = options.check ?? httpCheck;
  const once = () => {
    const startedAt = Date.now();
    const attempt = check(options.url, timeout)
      .catch(() => false)
      .then((ok) => {
        results.push({ startedAt, finishedAt: Date.now(), ok });
      });
    pending.add(attempt);
    void attempt.finally(() => pending.delete(attempt));
  };
  once();
  const timer = setInterval(once, interval);
  const report = () => summarizeProbes(options.url, results);
  return {
    report,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return report();
    },
  };
}

async function httpCheck(url: string, timeoutMs: number): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.arrayBuffer();
  return response.ok;
}

export function summarizeProbes(url: string, unordered: readonly ProbeResult[]): ProbeReport {
  const results = [...unordered].sort((a, b) => a.startedAt - b.startedAt);
  let failures = 0;
  let longest: FailStreak = { count: 0, ms: 0, from: 0, to: 0 };
  let streakStart: ProbeResult | undefined;
  let streakCount = 0;
  let lastFailed: ProbeResult | undefined;
  const close = (end: number) => {
    if (!streakStart) return;
    const ms = end - streakStart.startedAt;
    if (streakCount > longest.count || (streakCount === longest.count && ms > longest.ms)) {
      longest = { count: streakCount, ms, from: streakStart.startedAt, to: end };
    }
    streakStart = undefined;
    streakCount = 0;
  };
  for (const result of results) {
    if (result.ok) {
      close(result.startedAt);
      continue;
    }
    failures += 1;
    streakStart ??= result;
    streakCount += 1;
    lastFailed = result;
  }
  if (lastFailed) close(lastFailed.finishedAt);
  return { url, probes: results.length, failures, longestFailStreak: longest };
}
