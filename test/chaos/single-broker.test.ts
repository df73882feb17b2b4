import { ShadowRestored } from "@shadow/events";
import { formatReport, runScenario, type ScenarioReport } from "@shadow/scenario";
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { useScenarioEnvironment } from "../e2e/scenario-env.ts";
import { workloadName } from "../e2e/workload-name.ts";
import { ownKafka, ownKafkaBrokers, testKafkaSpec } from "../setup/own-kafka.ts";
import { useOwnKafka } from "../setup/own-kafka-setup.ts";
import {
  type BrokerFault,
  describeFault,
  killTarget,
  restartAll,
  restartKilled,
  settleCluster,
  sigkill,
} from "./broker-fault.ts";
import { Leaders } from "./leaders.ts";
import { LogWatch } from "./log-watch.ts";

// A broker of this file's own (one KRaft node, ports SHADOW_TEST_KAFKA_PORT + 100): with one
// node, its fault stops the whole bus, which must not happen to the stack's broker others use.
const spec = testKafkaSpec("chaos-single", { ...process.env, SHADOW_STATE: inject("shadowState") });
useOwnKafka(spec);
const env = useScenarioEnvironment(undefined, { kafka: () => ownKafkaBrokers(spec) });
let log: LogWatch;
beforeEach(async () => {
  log = new LogWatch((await ownKafkaBrokers(spec)).brokers);
  await log.start();
});
afterEach(async () => {
  await log.stop().catch(() => undefined);
  // The next test starts with the broker up and the services' groups stable.
  await ownKafka(spec, "start");
  const leaders = new Leaders((await ownKafkaBrokers(spec)).brokers);
  try {
    await settleCluster(spec, leaders, undefined);
  } finally {
    await leaders.close();
  }
});
const measured: string[] = [];
afterAll(async () => {
  console.log(["one broker, down during catch-up:", ...measured].join("\n\n"));
  await ownKafka(spec, "stop");
});

const options = {
  strategy: "shadow",
  identitySwap: false,
  rate: 40,
  partitions: 4,
  warmupMs: 3_000,
  cooldownMs: 3_000,
} as const;

function expectEndedWithNothingLost(report: ScenarioReport, fault: BrokerFault) {
  const line = describeFault(fault, report);
  measured.push(line);
  console.log(`${line}\n${formatReport(report)}`);
  const catchUp = report.migration.phases.find((p) => p.round === 1 && p.phase === "catch-up");
  expect(Date.parse(catchUp?.startedAt ?? "")).toBeLessThanOrEqual(fault.at);
  if (catchUp?.endedAt) expect(Date.parse(catchUp.endedAt)).toBeGreaterThanOrEqual(fault.at);
  expect(["completed", "rolled-back"]).toContain(report.migration.status);
  expect(report.load.sent).toBeGreaterThan(100);
  expect(report.verify.lost.count).toBe(0);
  expect(report.verify.duplicated.count).toBe(0);
  expect(report.verify.reordered.count).toBe(0);
  // The HTTP probe never missed: the outage was the bus's. (The message-level figures are
  // reported, not asserted: with the only broker down no copy can read, and the verifier, which
  // infers consuming from processed inputs, counts that as downtime when it spans the handover.)
  expect(report.probe.longestOutageMs).toBe(0);
  expect(report.instancesAfter).toHaveLength(1);
  expect(report.instancesAfter[0]?.mode).toBe("primary");
}

describe("the only broker goes down while the shadow catches up", () => {
  it("restarted (SIGTERM, then started again): the migration ends, nothing lost or duplicated", async () => {
    const workload = workloadName("broker-restart");
    let restarted: Promise<BrokerFault> | undefined;
    const report = await runScenario(env(), { ...options, workload }, undefined, {
      async onMigrationStarted(migrationId) {
        // The catch-up starts when the shadow is restored.
        await log.first(migrationId, ShadowRestored.type);
        restarted = restartAll(spec, "restart of the broker (SIGTERM, then start)");
      },
    });
    const fault = await restarted;
    if (!fault) throw new Error("the broker was not restarted");
    expectEndedWithNothingLost(report, fault);
  });

  it("SIGKILL, then started again: the migration ends, nothing lost or duplicated", async () => {
    const workload = workloadName("broker-kill");
    let back: Promise<void> | undefined;
    let fault: BrokerFault | undefined;
    const report = await runScenario(env(), { ...options, workload }, undefined, {
      async onMigrationStarted(migrationId) {
        const victim = await killTarget(spec, 1);
        await log.first(migrationId, ShadowRestored.type);
        const killed = sigkill(victim, "SIGKILL of the broker, started again at once");
        fault = killed;
        back = restartKilled(spec, victim).then(() => {
          killed.backMs = Date.now() - killed.at;
        });
      },
    });
    await back;
    if (!fault) throw new Error("the broker was not killed");
    expectEndedWithNothingLost(report, fault);
  });
});
