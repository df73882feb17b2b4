import { topics } from "@shadow/events";
import type { Phase } from "@shadow/migration";
import { formatReport, runScenario } from "@shadow/scenario";
import { afterAll, describe, expect, inject, it } from "vitest";
import { useScenarioEnvironment } from "../e2e/scenario-env.ts";
import { workloadName } from "../e2e/workload-name.ts";
import { useOwnKafka } from "../setup/own-kafka-setup.ts";
import { type BrokerFault, describeFault, killClusterNode, killTarget } from "./broker-fault.ts";
import { Leaders, partitionOfKey } from "./leaders.ts";
import { waitForPhase } from "./phase-watch.ts";
import { inputTopicOf } from "./source-topics.ts";

const spec = inject("ownKafka");
if (!spec) throw new Error("the chaos project provides its cluster (test/chaos/setup.ts)");
useOwnKafka(spec);
const env = useScenarioEnvironment();
const leaders = new Leaders(inject("kafkaBrokers"));
const measured: string[] = [];
afterAll(async () => {
  await leaders.close();
  console.log(["three-node cluster, one SIGKILL per migration:", ...measured].join("\n\n"));
});

/** Whose partition leader dies: the migration's events, its fence, or the workload's input. */
type Target = "migrations" | "control" | "input";

/**
 * Each phase of a live migration loses a node. The migration's events are keyed by its id,
 * so one partition of the migrations topic and one of the control topic carry them; the
 * workload's input is spread over every node.
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
      let inputTopic = "";
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
          async onMigrationStarted(migrationId) {
            inputTopic = await inputTopicOf(env(), workload);
            const watched = await partitionsOf(target, migrationId, inputTopic);
            const node = await busiestLeader(watched.topic, watched.partitions);
            const victim = await killTarget(spec, node);
            const what = `SIGKILL of node ${node}, leader of ${watched.topic}[${watched.partitions.join(",")}]`;
            await waitForPhase(env(), migrationId, 1, phase);
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
      expect(await leaders.minInsyncReplicas(inputTopic).catch(() => 2)).toBe(2);

      expect(["completed", "rolled-back"]).toContain(report.migration.status);
      expect(report.load.sent).toBeGreaterThan(100);
      expect(report.verify.lost.count).toBe(0);
      expect(report.verify.duplicated.count).toBe(0);
      expect(report.verify.reordered.count).toBe(0);
      // Serving throughout: every probe answered, and some copy consumed at every moment.
      expect(report.probe.longestOutageMs).toBe(0);
      expect(report.verify.downtime.longest.ms).toBe(0);
      expect(report.instancesAfter).toHaveLength(1);
      expect(report.instancesAfter[0]?.mode).toBe("primary");
    },
  );
});

async function partitionsOf(
  target: Target,
  migrationId: string,
  inputTopic: string,
): Promise<{ topic: string; partitions: number[] }> {
  if (target === "input") {
    return { topic: inputTopic, partitions: [...(await leaders.of(inputTopic)).keys()] };
  }
  const topic = target === "migrations" ? topics.migrations : topics.control;
  const count = (await leaders.of(topic)).size;
  return { topic, partitions: [partitionOfKey(migrationId, count)] };
}

/** The node that leads the most of these partitions (the lowest id among equals). */
async function busiestLeader(topic: string, partitions: number[]): Promise<number> {
  const now = await leaders.of(topic);
  const counts = new Map<number, number>();
  for (const p of partitions) {
    const leader = now.get(p);
    if (leader !== undefined && leader >= 0) counts.set(leader, (counts.get(leader) ?? 0) + 1);
  }
  const [best] = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (!best) throw new Error(`${topic} has no leader for ${partitions.join(",")}`);
  return best[0];
}
