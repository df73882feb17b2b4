import { healthBody } from "@shadow/contract";
import type { InstanceInfo, Runtime } from "@shadow/runtime";
import { copyOf, type IdleWindow, type ProbeResult, summarizeProbes } from "@shadow/testkit";
import { idleWindowsOf, type ModeSample } from "./idle-windows.ts";

export interface ServingReport {
  probes: number;
  /** Probe rounds in which no instance of the workload answered. */
  failures: number;
  /** The longest time during which no instance answered: the paper's downtime. */
  longestOutageMs: number;
  /** When that outage began and ended (epoch ms), to line it up with the migration's phases. */
  longestOutage?: { from: number; to: number; endpoints: string[]; why: string[] };
  /** The slowest answered round: a frozen source answers late (a delay, not downtime). */
  slowestAnswerMs: number;
  /** Stretches in which a copy answered but said it consumed nothing (fenced or idle). */
  idle: IdleWindow[];
}

/** The instances of a workload a client can reach now, and where. */
export type EndpointDiscovery = (
  workload: string,
) => Promise<Pick<InstanceInfo, "instance" | "node" | "endpoint">[]>;

/**
 * Discovery by the runtime's listing: the instances it shows running, or paused (frozen for a
 * checkpoint: it keeps its socket and answers once thawed, as it would behind a Service;
 * dropping it would count the freeze as an outage).
 */
export function listedEndpoints(runtime: Pick<Runtime, "list">): EndpointDiscovery {
  return async (workload) =>
    (await runtime.list())
      .filter((i) => i.workload === workload && (i.state === "running" || i.state === "paused"))
      .map((i) => ({ instance: i.instance, node: i.node, endpoint: i.endpoint }));
}

/**
 * Probes every instance of a workload every 10 ms (the paper's interval) and counts a round
 * as served when any of them answers `/health`. Instances come and go during a migration, so
 * the set is refreshed as it goes, from a discovery that should see a new copy as soon as it
 * exists: one that saw the shadow late would count the source's drain as an outage the
 * workload never had. A process frozen for a checkpoint still holds its socket and answers
 * once thawed, so the timeout is well above any checkpoint pause: a late answer is a delay
 * (reported as the slowest answer), a refused or missing one is downtime.
 */
export function probeWorkload(
  discover: EndpointDiscovery,
  workload: string,
  options: { intervalMs?: number; timeoutMs?: number } = {},
) {
  const intervalMs = options.intervalMs ?? 10;
  // 10 s: a source frozen for a checkpoint through the kubelet answered after 2.4 s on a busy
  // machine (its pod still up, its socket held), and a 2 s timeout counted that as downtime.
  const timeoutMs = options.timeoutMs ?? 10_000;
  let endpoints: string[] = [];
  /** Which copy (`instance@node`) answers at each endpoint, as discovery last showed them. */
  const copyAt = new Map<string, string>();
  const modes: ModeSample[] = [];
  let stopped = false;
  // Rounds overlap (one may wait on a frozen instance while later ones are answered), so
  // streaks are counted over the rounds in the order they started, once all are in.
  const results: (ProbeResult & { targets?: string[]; why?: string[] })[] = [];
  const listServing = async () =>
    discover(workload).then(
      (all) =>
        all.map((i) => {
          copyAt.set(i.endpoint, copyOf({ instance: i.instance, node: i.node }));
          return i.endpoint;
        }),
      () => endpoints,
    );
  const refresh = async () => {
    while (!stopped) {
      endpoints = await listServing();
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  // The health body says the copy's mode: a fenced or idle copy answers but consumes nothing.
  // An unanswered probe keeps why (refused, reset, timed out, an HTTP status), to tell a copy
  // that was down from one the probe could not reach.
  const answers = (endpoint: string): Promise<true | string> =>
    fetch(`http://${endpoint}/health`, { signal: AbortSignal.timeout(timeoutMs) }).then(
      async (r) => {
        const body = healthBody.safeParse(await r.json().catch(() => undefined));
        const copy = copyAt.get(endpoint);
        if (body.success && copy) modes.push({ at: Date.now(), copy, mode: body.data.mode });
        return r.ok ? true : `${endpoint}: HTTP ${r.status}`;
      },
      (error: unknown) => `${endpoint}: ${failureOf(error)}`,
    );
  // One round resolves at the first instance that answers, or with every reason none did.
  const round = (targets: string[]) =>
    new Promise<true | string[]>((resolve) => {
      const why: string[] = [];
      if (targets.length === 0) resolve(["no running instance listed"]);
      for (const endpoint of targets) {
        void answers(endpoint).then((answer) => {
          if (answer === true) resolve(true);
          else {
            why.push(answer);
            if (why.length === targets.length) resolve(why);
          }
        });
      }
    });
  const probeOnce = async () => {
    const startedAt = Date.now();
    const targets = endpoints;
    const answer = await round(targets);
    results.push({
      startedAt,
      finishedAt: Date.now(),
      ok: answer === true,
      targets,
      ...(answer === true ? {} : { why: answer }),
    });
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
      const inOutage = results.filter(
        (r) =>
          !r.ok &&
          r.startedAt >= summary.longestFailStreak.from &&
          r.startedAt <= summary.longestFailStreak.to,
      );
      return {
        probes: summary.probes,
        failures: summary.failures,
        longestOutageMs: summary.longestFailStreak.ms,
        ...(summary.longestFailStreak.count > 0
          ? {
              longestOutage: {
                from: summary.longestFailStreak.from,
                to: summary.longestFailStreak.to,
                endpoints: [...new Set(inOutage.flatMap((r) => r.targets ?? []))],
                why: [...new Set(inOutage.flatMap((r) => r.why ?? []))],
              },
            }
          : {}),
        slowestAnswerMs: answered.reduce((max, ms) => Math.max(max, ms), 0),
        idle: idleWindowsOf(modes),
      };
    },
  };
}

/** Why a probe got no answer, in the words of the error's cause (ECONNREFUSED, a timeout). */
function failureOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "no answer in time";
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? error.message;
}
