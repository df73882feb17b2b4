import { formatReport, runScenario, waitFor } from "@shadow/scenario";
import { describe, expect, it } from "vitest";
import { stopShadowOnceItRuns } from "./migration-watch.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

/** The stuck migration's catch-up lasts this long: its deadline. */
const CATCH_UP_TIMEOUT_MS = 60_000;
const env = useScenarioEnvironment({ SHADOW_CATCH_UP_TIMEOUT_MS: String(CATCH_UP_TIMEOUT_MS) });

const base = {
  strategy: "shadow",
  identitySwap: false,
  rate: 40,
  partitions: 2,
  warmupMs: 3_000,
  cooldownMs: 2_000,
} as const;

const phase = (report: Awaited<ReturnType<typeof runScenario>>, name: "restore" | "catch-up") => {
  const p = report.migration.phases.find((x) => x.round === 1 && x.phase === name);
  return { from: Date.parse(p?.startedAt ?? ""), to: Date.parse(p?.endedAt ?? ""), ms: p?.ms };
};

describe("two migrations of different workloads at once", () => {
  it("a catch-up of a minute holds back neither the other's restore nor its catch-up", {
    timeout: 300_000,
  }, async () => {
    // The same migration alone first, for its restore and catch-up side by side with below.
    const alone = await runScenario(env(), { ...base, workload: workloadName("alone") });
    expect(alone.migration.status).toBe("completed");
    const slowWorkload = workloadName("slow-catch-up");
    const fastWorkload = workloadName("beside-it");
    let slowShadowStopped = false;
    // The slow one's shadow is stopped (SIGSTOP) once it runs: alive, answering nothing, its
    // catch-up lasts until its deadline, a minute.
    const slowRun = runScenario(env(), { ...base, workload: slowWorkload }, undefined, {
      async onMigrationStarted(migrationId) {
        await stopShadowOnceItRuns(env(), slowWorkload, migrationId);
        slowShadowStopped = true;
      },
    });
    await waitFor("the slow migration's shadow stopped", 120_000, async () =>
      slowShadowStopped ? true : undefined,
    );
    const fast = await runScenario(env(), { ...base, workload: fastWorkload });
    const slow = await slowRun;
    console.log(
      `beside a stuck catch-up:\n${formatReport(fast)}\n\nthe stuck one:\n${formatReport(slow)}`,
    );

    expect(slow.migration.status).toBe("rolled-back");
    expect(slow.migration.failure).toMatchObject({ step: "catch-up", code: "CATCH_UP_TIMEOUT" });
    const stuck = phase(slow, "catch-up");
    expect(stuck.ms).toBeGreaterThanOrEqual(CATCH_UP_TIMEOUT_MS);

    // The other migration restored and caught up while the stuck catch-up was under way, and
    // was done long before it ended: restore-svc watched both side by side.
    expect(fast.migration.status).toBe("completed");
    const restore = phase(fast, "restore");
    const catchUp = phase(fast, "catch-up");
    expect(restore.from).toBeGreaterThan(stuck.from);
    expect(catchUp.to).toBeLessThan(stuck.to);
    console.log(
      `alone: restore ${phase(alone, "restore").ms} ms, catch-up ${phase(alone, "catch-up").ms} ms; ` +
        `beside a stuck catch-up: restore ${restore.ms} ms, catch-up ${catchUp.ms} ms, while it ran ${stuck.ms} ms`,
    );
    for (const report of [fast, slow]) {
      expect(report.verify.lost.count).toBe(0);
      expect(report.verify.duplicated.count).toBe(0);
    }
  });
});
