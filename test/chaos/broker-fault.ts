import { setTimeout as sleep } from "node:timers/promises";
import type { ScenarioReport } from "@shadow/scenario";
import { brokerPids, type OwnKafkaSpec, ownKafka, startOwnKafka } from "../setup/own-kafka.ts";
import type { Leaders } from "./leaders.ts";

/** One broker fault and what it cost, for the test's log and assertions. */
export interface BrokerFault {
  /** What was done: "SIGKILL of node 2, leader of shadow.control.v1[4]". */
  what: string;
  node: number;
  /** When (ms since epoch). */
  at: number;
  /** How long until every partition the node led had another leader (cluster only). */
  newLeaderMs?: number;
  /** How long until the node was back and the cluster healthy again. */
  backMs?: number;
}

/** A node of `spec` to kill, and its JVM's pid, looked up before the moment comes. */
export interface KillTarget {
  node: number;
  pid: number;
}

export async function killTarget(spec: OwnKafkaSpec, node: number): Promise<KillTarget> {
  const pid = (await brokerPids(spec)).get(node);
  if (pid === undefined) throw new Error(`${spec.name}: node ${node} is not running`);
  return { node, pid };
}

/**
 * SIGKILLs `target` at once, then, in the background, waits until every partition in `watched`
 * has a leader on another node (the surviving replicas took over: the failover this tests).
 * The node stays down until `settleCluster` starts it again, after the migration: its return
 * (replicas catching up, leaders moving back, group coordinators with them) is a disturbance of
 * its own and must not land in a later phase of the same migration, or in the next test.
 */
export function killClusterNode(
  leaders: Leaders,
  target: KillTarget,
  watched: { topic: string; partitions: number[] }[],
  what: string,
): { fault: BrokerFault; target: KillTarget; failedOver: Promise<void> } {
  const fault = sigkill(target, what);
  const failedOver = waitForOtherLeaders(leaders, target.node, watched).then(() => {
    fault.newLeaderMs = Date.now() - fault.at;
  });
  // Awaited by the test after the migration; until then a failure must not go unhandled.
  failedOver.catch(() => undefined);
  return { fault, target, failedOver };
}

/**
 * Brings the cluster back to the shape every test starts from: the killed node running again,
 * every partition of every topic fully replicated and led by its preferred replica, and every
 * consumer group of the services stable (no member re-joining, so the next migration's events
 * are read at once). Returns how long it took.
 */
export async function settleCluster(
  spec: OwnKafkaSpec,
  leaders: Leaders,
  killed: KillTarget | undefined,
  fault?: BrokerFault,
): Promise<number> {
  const started = Date.now();
  if (killed) {
    await restartKilled(spec, killed);
    if (fault) fault.backMs = Date.now() - fault.at;
  }
  await leaders.awaitBalanced();
  await leaders.awaitGroupsStable();
  return Date.now() - started;
}

/** SIGKILL: no controlled shutdown, no flush; the node's sockets simply close. */
export function sigkill(target: KillTarget, what: string): BrokerFault {
  process.kill(target.pid, "SIGKILL");
  return { what, node: target.node, at: Date.now() };
}

/** Starts a killed node again once its JVM is gone (its ports free). */
export async function restartKilled(spec: OwnKafkaSpec, target: KillTarget): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (alive(target.pid) && Date.now() < deadline) await sleep(20);
  await startOwnKafka(spec);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A graceful restart of `spec`'s nodes: SIGTERM (a controlled shutdown), then start again. */
export async function restartAll(spec: OwnKafkaSpec, what: string): Promise<BrokerFault> {
  const fault: BrokerFault = { what, node: 0, at: Date.now() };
  await ownKafka(spec, "stop");
  await startOwnKafka(spec);
  fault.backMs = Date.now() - fault.at;
  return fault;
}

async function waitForOtherLeaders(
  leaders: Leaders,
  node: number,
  watched: { topic: string; partitions: number[] }[],
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let moved = true;
    for (const { topic, partitions } of watched) {
      const now = await leaders.of(topic).catch(() => new Map<number, number>());
      for (const partition of partitions) {
        const leader = now.get(partition) ?? -1;
        if (leader < 0 || leader === node) moved = false;
      }
    }
    if (moved) return;
    if (Date.now() > deadline) {
      throw new Error(`no new leader within ${timeoutMs} ms of node ${node}'s death`);
    }
    await sleep(100);
  }
}

/**
 * What a fault cost the workload, from the verifier: the longest stretch in which inputs
 * waited and no output appeared (freezes and the handover included), the longest in which
 * nothing at all was processed, and the largest delay of one input beyond the steady p99.
 */
export function describeFault(fault: BrokerFault, report: ScenarioReport): string {
  const s = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(2)} s`);
  const stall = report.verify.stall.longest;
  const gap = report.verify.processingGap.longest;
  const phase = report.migration.phases.find(
    (p) =>
      Date.parse(p.startedAt) <= fault.at &&
      (p.endedAt === undefined || Date.parse(p.endedAt) >= fault.at),
  );
  const leaderlessUntil = fault.at + (fault.newLeaderMs ?? 0);
  const leaderless = report.migration.phases.filter(
    (p) =>
      Date.parse(p.startedAt) <= leaderlessUntil &&
      (p.endedAt === undefined || Date.parse(p.endedAt) >= fault.at),
  );
  return [
    `fault: ${fault.what}, in round ${phase?.round ?? "?"} ${phase?.phase ?? "(no phase)"}`,
    `  failover: new leader after ${s(fault.newLeaderMs)}, phases run meanwhile: ${
      leaderless.map((p) => `r${p.round} ${p.phase}`).join(", ") || "none"
    }${fault.backMs === undefined ? "" : `; back after ${s(fault.backMs)}`}`,
    `  migration ${report.migration.status} in ${s(report.migration.totalMs)}: ${report.migration.phases
      .map((p) => `r${p.round} ${p.phase} ${s(p.ms)}`)
      .join(", ")}`,
    `  workload stall (inputs waiting, no output) ${s(stall.ms)}, from ${s(stall.from - fault.at)} after the fault;` +
      ` processing gap ${s(gap.ms)}; max extra delay ${s(report.verify.maxExtraDelayMs)}`,
    `  probe outage ${report.probe.longestOutageMs} ms, message-level downtime ${report.verify.downtime.longest.ms} ms;` +
      ` lost ${report.verify.lost.count}, duplicated ${report.verify.duplicated.count}, reordered ${report.verify.reordered.count}`,
  ].join("\n");
}
