import {
  CheckpointCreated,
  FenceCompleted,
  MigrationRequested,
  partitionFor,
  ShadowCaughtUp,
  ShadowRestored,
  topics,
} from "@shadow/events";
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
  settleCluster,
} from "./broker-fault.ts";
import { Leaders } from "./leaders.ts";
import { LogWatch } from "./log-watch.ts";
import { inputTopicOf } from "./source-topics.ts";

const spec = inject("ownKafka");
if (!spec) throw new Error("the chaos project provides its cluster (test/chaos/setup.ts)");
useOwnKafka(spec);
const env = useScenarioEnvironment();
// Watchers per test: kafkajs' admin asks for the metadata of every topic it ever looked at, and
// the runs' topics are deleted after each test.
let leaders: Leaders;
let log: LogWatch;
/** The node the running test killed, started again after it. */
let killed: { fault: BrokerFault; target: KillTarget } | undefined;
beforeEach(async () => {
  leaders = new Leaders(inject("kafkaBrokers"));
  log = new LogWatch(inject("kafkaBrokers"));
  await log.start();
});
afterEach(async () => {
  await log.stop().catch(() => undefined);
  // Every test starts from the same cluster: all nodes up, leaders back where they belong, the
  // services' groups stable. Also after a test that failed before its fault or during it.
  const settledMs = await settleCluster(spec, leaders, killed?.target, killed?.fault);
  console.log(
    `cluster settled ${(settledMs / 1000).toFixed(1)} s after the test` +
      (killed
        ? ` (node ${killed.target.node} back after ${((killed.fault.backMs ?? 0) / 1000).toFixed(1)} s)`
        : ""),
  );
  killed = undefined;
  await leaders.close();
});
const measured: string[] = [];
afterAll(() => {
  console.log(["three-node cluster, one SIGKILL per migration:", ...measured].join("\n\n"));
});

/** Whose partition leader dies: the migration's events, its fence, or the workload's input. */
type Target = "migrations" | "control" | "input";

/**
 * Each phase of a live migration loses a node, the moment the event that starts the phase is
 * on the log: the leader of the partition that event went to (the migration's partition of the
 * migrations topic, the fence's of the control topic), or the node that leads the most of the
 * workload's input partitions. The fence starts with ShadowCaughtUp; its own events
 * (FenceRequested, the cut, FencePassed) follow on the control partition within a few hundred
 * ms, so its leader dies then, before or between them, and the rest of the fence waits for
 * the new leader. (At FenceRequested itself the kill once landed after a 0.33 s fence had
 * ended; at the catch-up's start it stalled the catch-up past the failover instead.)
 */
const faults: { target: Target; phase: Phase; startedBy: string }[] = [
  { target: "migrations", phase: "checkpoint", startedBy: MigrationRequested.type },
  { target: "input", phase: "image", startedBy: CheckpointCreated.type },
  { target: "input", phase: "catch-up", startedBy: ShadowRestored.type },
  { target: "control", phase: "fence", startedBy: ShadowCaughtUp.type },
  { target: "migrations", phase: "drain", startedBy: FenceCompleted.type },
];

describe("a three-node cluster loses the leader of a partition the migration needs", () => {
  it("replicates the project's and the example's topics three times, two in sync at least", async () => {
    for (const topic of [topics.migrations, topics.control, "__consumer_offsets"]) {
      for (const p of await leaders.replicas(topic)) expect(p).toMatchObject({ replicas: 3 });
      expect(await leaders.minInsyncReplicas(topic)).toBe(2);
    }
  });

  it.each(faults)(
    "SIGKILL of the leader of the $target partition in $phase: the migration ends, nothing lost or duplicated, the workload serves",
    { timeout: 300_000 },
    async ({ target, phase, startedBy }) => {
      const workload = workloadName(`chaos-${target}`);
      let failedOver: Promise<void> | undefined;
      let inputReplication: { minInsync: number; replicas: number[] } | undefined;
      let before: Before | undefined;
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
          // Everything but the partition is looked up before the migration starts: when the
          // event comes, only the SIGKILL is left to do (a checkpoint may be over in a few
          // hundred ms, a fence in tens).
          async requestMigration(request) {
            const inputTopic = await inputTopicOf(env(), workload);
            inputReplication = {
              minInsync: await leaders.minInsyncReplicas(inputTopic),
              replicas: (await leaders.replicas(inputTopic)).map((p) => p.replicas),
            };
            const topic =
              target === "input"
                ? inputTopic
                : target === "migrations"
                  ? topics.migrations
                  : topics.control;
            before = { topic, leaders: await leaders.of(topic), pids: await brokerPids(spec) };
            return gateway<{ migrationId: string }>(env(), "POST", "/migrations", request);
          },
          async onMigrationStarted(migrationId) {
            if (!before) throw new Error("nothing looked up before the migration");
            const started = await log.first(migrationId, startedBy);
            const partitions =
              target === "input"
                ? [...before.leaders.keys()]
                : target === "control"
                  ? // Every event of a workload is keyed by it (partitionKeyOf).
                    [
                      partitionFor(
                        topics.control,
                        { key: workload, value: null },
                        before.leaders.size,
                      ),
                    ]
                  : [started.partition];
            const { victim, watched, what } = planKill(before, partitions);
            const kill = killClusterNode(leaders, victim, [watched], what);
            killed = kill;
            failedOver = kill.failedOver;
          },
        },
      );
      await failedOver;
      const fault = killed?.fault;
      if (!fault) throw new Error("no fault was injected");
      const line = describeFault(fault, report);
      measured.push(line);
      console.log(`${line}\n${formatReport(report)}`);

      // The phase it was meant for ran while the partition had no leader: between the kill and
      // the new leader's election.
      const during = report.migration.phases.find((p) => p.round === 1 && p.phase === phase);
      const leaderless = { from: fault.at, to: fault.at + (fault.newLeaderMs ?? 0) };
      expect(Date.parse(during?.startedAt ?? "")).toBeLessThanOrEqual(leaderless.to);
      if (during?.endedAt)
        expect(Date.parse(during.endedAt)).toBeGreaterThanOrEqual(leaderless.from);
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

/** What the test knew of the target topic before the phase came. */
interface Before {
  topic: string;
  leaders: Map<number, number>;
  pids: Map<number, number>;
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
