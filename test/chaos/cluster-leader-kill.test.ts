import { topics } from "@shadow/events";
import type { Phase } from "@shadow/migration";
import { formatReport, gateway, runScenario } from "@shadow/scenario";
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { useScenarioEnvironment } from "../e2e/scenario-env.ts";
import { workloadName } from "../e2e/workload-name.ts";
import { brokerPids } from "../setup/own-kafka.ts";
import { useOwnKafka } from "../setup/own-kafka-setup.ts";
import {
  type BrokerFault,
  describeFault,
  type KillTarget,
  killClusterNode,
} from "./broker-fault.ts";
import { Leaders } from "./leaders.ts";
import { waitForPhase } from "./phase-watch.ts";
import { inputTopicOf } from "./source-topics.ts";

const spec = inject("ownKafka");
if (!spec) throw new Error("the chaos project provides its cluster (test/chaos/setup.ts)");
useOwnKafka(spec);
const env = useScenarioEnvironment();
// A watcher per test: kafkajs' admin asks for the metadata of every topic it ever looked at,
// and the runs' topics are deleted after each test.
let leaders: Leaders;
beforeEach(() => {
  leaders = new Leaders(inject("kafkaBrokers"));
});
afterEach(async () => {
  await leaders.close();
});
const measured: string[] = [];
afterAll(() => {
  console.log(["three-node cluster, one SIGKILL per migration:", ...measured].join("\n\n"));
});

/** Whose partition leader dies: the migration's events, its fence, or the workload's input. */
type Target = "migrations" | "control" | "input";

/**
 * Each phase of a live migration loses a node. One partition of the migrations topic and one
 * of the control topic carry the migration's events (they share a key); the workload's input
 * is spread over every node.
 */
const faults: [Target, Phase][] = [
  ["migrations", "checkpoint"],
  ["input", "image"],
  ["input", "catch-up"],
  ["control", "fence"],
  ["migrations", "drain"],
];

describe("a three-node cluster loses the leader of a partition the migration needs", () => {
  it("replicates the project's and the example's topics three times, two in sync at least", async () => {
    for (const topic of [topics.migrations, topics.control, "__consumer_offsets"]) {
      for (const p of await leaders.replicas(topic)) expect(p).toMatchObject({ replicas: 3 });
      expect(await leaders.minInsyncReplicas(topic)).toBe(2);
    }
  });

  it.each(faults)(
    "SIGKILL of the leader of the %s partition in %s: the migration ends, nothing lost or duplicated, the workload serves",
    { timeout: 300_000 },
    async (target, phase) => {
      const workload = workloadName(`chaos-${target}`);
      let killed: { fault: BrokerFault; recovered: Promise<void> } | undefined;
      let before: Before | undefined;
      let inputReplication: { minInsync: number; replicas: number[] } | undefined;
      const report = await runScenario(
        env(),
        {
          workload,
          strategy: "shadow",
          identitySwap: false,
          rate: 40,
          partitions: 4,
          warmupMs: 3_000,
          cooldownMs: 3_000,
        },
        undefined,
        {
          // Everything the kill needs is looked up before the migration starts: at the
          // phase, only finding the partition and the SIGKILL are left (a checkpoint lasts a
          // few hundred ms, a fence tens).
          async requestMigration(request) {
            const inputTopic = await inputTopicOf(env(), workload);
            inputReplication = {
              minInsync: await leaders.minInsyncReplicas(inputTopic),
              replicas: (await leaders.replicas(inputTopic)).map((p) => p.replicas),
            };
            const topic = topicOf(target, inputTopic);
            before = {
              topic,
              ends: await leaders.ends(topic),
              leaders: await leaders.of(topic),
              pids: await brokerPids(spec),
            };
            const accepted = await gateway<{ migrationId: string }>(
              env(),
              "POST",
              "/migrations",
              request,
            );
            // The services key the migration's events; the partition its request went to is
            // the one that grew (nothing else runs on this cluster).
            if (target === "migrations") {
              before.partitions = await leaders.grown(topic, before.ends);
            }
            return accepted;
          },
          async onMigrationStarted(migrationId) {
            if (!before) throw new Error("nothing looked up before the migration");
            const plan = before;
            let partitions: number[];
            if (target === "control") {
              // The fence starts the moment fence-svc writes FenceRequested, and may be over
              // in tens of ms, sooner than the gateway shows it: the kill follows that write.
              await waitForPhase(env(), migrationId, 1, "catch-up");
              partitions = await leaders.grown(plan.topic, plan.ends, 180_000);
            } else {
              await waitForPhase(env(), migrationId, 1, phase);
              partitions = target === "input" ? [...plan.leaders.keys()] : (plan.partitions ?? []);
            }
            const { victim, watched, what } = planKill(plan, partitions);
            killed = killClusterNode(spec, leaders, victim, [watched], what);
          },
        },
      );
      await killed?.recovered;
      const fault = killed?.fault;
      if (!fault) throw new Error("no fault was injected");
      const line = describeFault(fault, report);
      measured.push(line);
      console.log(`${line}\n${formatReport(report)}`);

      // The fault landed in the phase it was meant for.
      const during = report.migration.phases.find((p) => p.round === 1 && p.phase === phase);
      expect(Date.parse(during?.startedAt ?? "")).toBeLessThanOrEqual(fault.at);
      if (during?.endedAt) expect(Date.parse(during.endedAt)).toBeGreaterThanOrEqual(fault.at);
      // The example's input topic is replicated like the project's.
      expect(inputReplication).toEqual({ minInsync: 2, replicas: [3, 3, 3, 3] });

      expect(["completed", "rolled-back"]).toContain(report.migration.status);
      expect(report.load.sent).toBeGreaterThan(100);
      expect(report.verify.lost.count).toBe(0);
      expect(report.verify.duplicated.count).toBe(0);
      expect(report.verify.reordered.count).toBe(0);
      // Serving throughout: every HTTP probe answered. (The message-level figures are reported,
      // not asserted: the verifier infers that a copy consumes from the inputs it processed, so
      // a partition without a leader, whose inputs no copy can read, reads as downtime when it
      // spans the handover.)
      expect(report.probe.longestOutageMs).toBe(0);
      expect(report.instancesAfter).toHaveLength(1);
      expect(report.instancesAfter[0]?.mode).toBe("primary");
    },
  );
});

/** What the test knew of a target topic before the migration started. */
interface Before {
  topic: string;
  ends: Map<number, number>;
  leaders: Map<number, number>;
  pids: Map<number, number>;
  /** The migration's partition of the migrations topic, once its request was written. */
  partitions?: number[];
}

function topicOf(target: Target, inputTopic: string): string {
  return target === "input"
    ? inputTopic
    : target === "migrations"
      ? topics.migrations
      : topics.control;
}

/** The node that leads the most of `partitions` (the lowest id among equals), and its JVM. */
function planKill(
  before: Before,
  partitions: number[],
): { victim: KillTarget; watched: { topic: string; partitions: number[] }; what: string } {
  const counts = new Map<number, number>();
  for (const p of partitions) {
    const leader = before.leaders.get(p);
    if (leader !== undefined && leader >= 0) counts.set(leader, (counts.get(leader) ?? 0) + 1);
  }
  const [best] = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (!best) throw new Error(`${before.topic} has no leader for ${partitions.join(",")}`);
  const node = best[0];
  const pid = before.pids.get(node);
  if (pid === undefined) throw new Error(`node ${node} is not running`);
  const led = partitions.filter((p) => before.leaders.get(p) === node);
  return {
    victim: { node, pid },
    watched: { topic: before.topic, partitions: led },
    what: `SIGKILL of node ${node}, leader of ${before.topic}[${led.join(",")}]`,
  };
}
