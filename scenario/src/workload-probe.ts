import type { Runtime } from "@shadow/runtime";
import { type ProbeResult, summarizeProbes } from "@shadow/testkit";

export interface ServingReport {
  probes: number;
  /** Probe rounds in which no instance of the workload answered. */
  failures: number;
  /** The longest time during which no instance answered: the paper's downtime. */
  longestOutageMs: number;
  /** When that outage began and ended (epoch ms), to line it up with the migration's phases. */
  longestOutage?: { from: number; to: number; endpoints: string[] };
  /** The slowest answered round: a frozen source answers late (a delay, not downtime). */
  slowestAnswerMs: number;
}

/**
 * Probes every instance of a workload every 10 ms (the paper's interval) and counts a round
 * as served when any of them answers `/health`. Instances come and go during a migration, so
 * the set is refreshed from the runtime as it goes. A process frozen for a checkpoint still
 * holds its socket and answers once thawed, so the timeout is well above any checkpoint pause:
 * a late answer is a delay (reported as the slowest answer), a refused or missing one is
 * downtime.
 */
export function probeWorkload(
  runtime: Pick<Runtime, "list">,
  workload: string,
  options: { intervalMs?: number; timeoutMs?: number } = {},
) {
  const intervalMs = options.intervalMs ?? 10;
  const timeoutMs = options.timeoutMs ?? 2_000;
  let endpoints: string[] = [];
  let stopped = false;
  // Rounds overlap (one may wait on a frozen instance while later ones are answered), so
  // streaks are counted over the rounds in the order they started, once all are in.
  const results: (ProbeResult & { targets?: string[] })[] = [];
  const listServing = async () =>
    runtime.list().then(
      (all) =>
        all
          // A paused instance is frozen for a checkpoint: it keeps its socket and answers once
          // thawed, as it would behind a Service; dropping it would count the freeze as an outage.
          .filter((i) => i.workload === workload && (i.state === "running" || i.state === "paused"))
          .map((i) => i.endpoint),
      () => endpoints,
    );
  const refresh = async () => {
    while (!stopped) {
      endpoints = await listServing();
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const answers = (endpoint: string) =>
    fetch(`http://${endpoint}/health`, { signal: AbortSignal.timeout(timeoutMs) }).then(
      (r) => r.ok,
      () => false,
    );
  // One round resolves true at the first instance that answers, false when none does.
  const round = (targets: string[]) =>
    new Promise<boolean>((resolve) => {
      let pending = targets.length;
      if (pending === 0) resolve(false);
      for (const endpoint of targets) {
        void answers(endpoint).then((ok) => {
          pending -= 1;
          if (ok) resolve(true);
          else if (pending === 0) resolve(false);
        });
      }
    });
  const probeOnce = async () => {
    const startedAt = Date.now();
    const targets = endpoints;
    const ok = await round(targets);
    results.push({ startedAt, finishedAt: Date.now(), ok, targets });
  };
  const inFlight = new Set<Promise<void>>();
  const loop = async () => {
    let next = performance.now();
    while (!stopped) {
      // Rounds start on schedule even while earlier ones wait, so a stall shows as a streak.
      const p = probeOnce();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      next += intervalMs;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  };
  // Probing starts once the instances are known, or its first rounds would find none.
  const running = listServing().then((first) => {
    endpoints = first;
    return Promise.all([refresh(), loop()]);
  });
  return {
    async stop(): Promise<ServingReport> {
      stopped = true;
      await running;
      await Promise.all(inFlight);
      const summary = summarizeProbes(workload, results);
      const answered = results.filter((r) => r.ok).map((r) => r.finishedAt - r.startedAt);
      return {
        probes: summary.probes,
        failures: summary.failures,
        longestOutageMs: summary.longestFailStreak.ms,
        ...(summary.longestFailStreak.count > 0
          ? {
              longestOutage: {
                from: summary.longestFailStreak.from,
                to: summary.longestFailStreak.to,
                endpoints: [
                  ...new Set(
                    results
                      .filter(
                        (r) =>
                          !r.ok &&
                          r.startedAt >= summary.longestFailStreak.from &&
                          r.startedAt <= summary.longestFailStreak.to,
                      )
                      .flatMap((r) => r.targets ?? []),
                  ),
                ],
              },
            }
          : {}),
        slowestAnswerMs: answered.reduce((max, ms) => Math.max(max, ms), 0),
      };
    },
  };
}
