import type { Runtime } from "@shadow/runtime";

export interface ServingReport {
  probes: number;
  /** Probe rounds in which no instance of the workload answered. */
  failures: number;
  /** The longest time during which no instance answered: the paper's downtime. */
  longestOutageMs: number;
}

/**
 * Probes every instance of a workload every 10 ms (the paper's interval) and counts a round
 * as served when any of them answers `/health`. Instances come and go during a migration, so
 * the set is refreshed from the runtime as it goes.
 */
export function probeWorkload(runtime: Pick<Runtime, "list">, workload: string, intervalMs = 10) {
  let endpoints: string[] = [];
  let stopped = false;
  let probes = 0;
  let failures = 0;
  let outageFrom: number | undefined;
  let longestOutageMs = 0;

  const refresh = async () => {
    while (!stopped) {
      endpoints = (await runtime.list().catch(() => []))
        .filter((i) => i.workload === workload && i.state === "running")
        .map((i) => i.endpoint);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const answers = (endpoint: string) =>
    fetch(`http://${endpoint}/health`, { signal: AbortSignal.timeout(100) }).then(
      (r) => r.ok,
      () => false,
    );
  const loop = async () => {
    let next = performance.now();
    while (!stopped) {
      const started = Date.now();
      const results = await Promise.all(endpoints.map(answers));
      probes += 1;
      if (results.some(Boolean)) {
        if (outageFrom !== undefined)
          longestOutageMs = Math.max(longestOutageMs, started - outageFrom);
        outageFrom = undefined;
      } else {
        failures += 1;
        outageFrom ??= started;
      }
      next += intervalMs;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  };
  const running = Promise.all([refresh(), loop()]);
  return {
    async stop(): Promise<ServingReport> {
      stopped = true;
      await running;
      if (outageFrom !== undefined)
        longestOutageMs = Math.max(longestOutageMs, Date.now() - outageFrom);
      return { probes, failures, longestOutageMs };
    },
  };
}
