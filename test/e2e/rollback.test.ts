import { ShadowCaughtUp, ShadowRestored, topics } from "@shadow/events";
import { type MigrationView, shadowInstanceName } from "@shadow/migration";
import { formatReport, gateway, runScenario, type ScenarioReport, waitFor } from "@shadow/scenario";
import { afterAll, describe, expect, it } from "vitest";
import { holdService, stopShadowOnceItRuns, watchMigration } from "./migration-watch.ts";
import { addNode, removeNode } from "./nodes.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

/** The catch-up deadline these tests wait out; these migrations catch up in under a second. */
const CATCH_UP_TIMEOUT_MS = 10_000;
const env = useScenarioEnvironment({ SHADOW_CATCH_UP_TIMEOUT_MS: String(CATCH_UP_TIMEOUT_MS) });
afterAll(async () => {
  await removeNode("node-full").catch(() => undefined);
  await removeNode("node-gone").catch(() => undefined);
});

/**
 * For the tests that stop the shadow once it runs: each input costs 50 ms, so the shadow's
 * replay of what arrived since the checkpoint takes seconds (each partition takes 20/s against
 * about 13/s arriving), not the 0.4 s a 10 ms cost gives: on a loaded machine the test saw the
 * shadow after it had caught up and the fence had begun (CI: failed at fence, not catch-up).
 */
const SLOW_REPLAY_COST_MS = 50;

const base = {
  strategy: "shadow",
  identitySwap: false,
  rate: 40,
  partitions: 3,
  warmupMs: 3_000,
  cooldownMs: 2_000,
} as const;

function expectRolledBackWithSourceServing(report: ScenarioReport, workload: string) {
  console.log(formatReport(report));
  expect(report.migration.status).toBe("rolled-back");
  expect(report.migration.rollback?.reason.length).toBeGreaterThan(5);
  expect(report.migration.rollback?.serving).toEqual({ instance: workload, node: "node-a" });
  // The source kept (or went back to) serving, alone: no shadow is left anywhere.
  expect(report.instancesAfter).toEqual([
    { instance: workload, node: "node-a", state: "running", mode: "primary" },
  ]);
  expect(report.verify.lost.count).toBe(0);
  expect(report.verify.duplicated.count).toBe(0);
  expect(report.probe.longestOutageMs).toBe(0);
}

describe("a migration that fails rolls back, and the workload keeps serving", () => {
  it("when the restore fails (the target has no room)", async () => {
    await addNode("node-full", 0);
    const workload = workloadName("rb-restore");
    const report = await runScenario(env(), { ...base, workload, targetNode: "node-full" });
    expectRolledBackWithSourceServing(report, workload);
    expect(report.migration.failure?.step).toBe("restore");
    // No room is terminal: no retry waits out the step's deadline (2 minutes) first.
    const restore = report.migration.phases.find((p) => p.phase === "restore");
    expect(restore?.failed).toBe(true);
    expect(restore?.ms ?? Number.POSITIVE_INFINITY).toBeLessThan(20_000);
  });

  it("when the shadow dies before it catches up", async () => {
    const workload = workloadName("rb-shadow");
    const report = await runScenario(
      env(),
      { ...base, workload, costMs: SLOW_REPLAY_COST_MS },
      undefined,
      {
        // The shadow dies once restored, while it replays the log (not while restoring). It is
        // stopped (SIGSTOP) as soon as it is seen running, seconds before its slow replay could
        // end, so it has not caught up however slow the machine is at seeing the catch-up begin.
        async onMigrationStarted(migrationId) {
          const shadow = await stopShadowOnceItRuns(env(), workload, migrationId);
          await waitFor("the shadow to be catching up", 60_000, async () => {
            const view = await gateway<MigrationView>(env(), "GET", `/migrations/${migrationId}`);
            return view.phase === "catch-up" ? view : undefined;
          });
          await env().runtime.remove(shadow.instance);
        },
      },
    );
    expectRolledBackWithSourceServing(report, workload);
    expect(report.migration.failure?.step).toBe("catch-up");
  });

  it("when the shadow never catches up (alive, but it makes no progress)", async () => {
    const workload = workloadName("rb-stuck");
    const report = await runScenario(
      env(),
      { ...base, workload, costMs: SLOW_REPLAY_COST_MS },
      undefined,
      {
        // The shadow is stopped (SIGSTOP) as soon as it is seen running, long before its slow
        // replay could end:
        // it still exists, it just never answers nor consumes again, so only the deadline ends
        // the catch-up.
        async onMigrationStarted(migrationId) {
          await stopShadowOnceItRuns(env(), workload, migrationId);
        },
      },
    );
    expectRolledBackWithSourceServing(report, workload);
    expect(report.migration.failure).toMatchObject({ step: "catch-up", code: "CATCH_UP_TIMEOUT" });
    // It was the deadline that ended the catch-up, not anything sooner.
    const catchUp = report.migration.phases.find((p) => p.phase === "catch-up");
    expect(catchUp?.failed).toBe(true);
    expect(catchUp?.ms).toBeGreaterThanOrEqual(CATCH_UP_TIMEOUT_MS);
  });

  it("when the shadow freezes during the fence: the fence fails in seconds, the source resumes from its cut", async () => {
    const workload = workloadName("rb-fence-freeze");
    const report = await runScenario(env(), { ...base, workload }, undefined, {
      async onMigrationStarted(migrationId) {
        const watch = await watchMigration(env().brokers, migrationId, [topics.migrations]);
        let fenceSvc: { release(): void } | undefined;
        try {
          // fence-svc is held while the shadow catches up, so the shadow is frozen before the
          // fence begins; then the source is asked for its cut and pauses there.
          await watch.next((e) => e.type === ShadowRestored.type, 120_000);
          fenceSvc = holdService(env(), "fence-svc");
          await watch.next((e) => e.type === ShadowCaughtUp.type, 120_000);
          const shadow = await env().runtime.inspect(shadowInstanceName(workload, migrationId));
          if (shadow?.pid === undefined) throw new Error("no shadow process");
          process.kill(shadow.pid, "SIGSTOP");
        } finally {
          fenceSvc?.release();
          await watch.close();
        }
      },
    });
    console.log(
      `longest stall ${report.stall.ms} ms in ${report.stall.phase}: ${report.stall.cause}`,
    );
    expectRolledBackWithSourceServing(report, workload);
    // restore-svc saw the shadow silent and failed the fence: not the watchdog at the fence's
    // deadline, nor the source's own fence deadline (30 s each).
    expect(report.migration.failure).toMatchObject({ step: "fence", code: "SHADOW_LOST" });
    expect(report.migration.failure?.reason).toMatch(/silent on \/status/);
  });

  it("when the target node vanishes mid-migration", async () => {
    await addNode("node-gone", 4);
    const workload = workloadName("rb-node");
    const report = await runScenario(
      env(),
      { ...base, workload, targetNode: "node-gone" },
      undefined,
      {
        async onMigrationStarted() {
          await removeNode("node-gone");
        },
      },
    );
    expectRolledBackWithSourceServing(report, workload);
  });
});
