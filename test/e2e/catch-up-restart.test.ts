import type { MigrationView } from "@shadow/migration";
import { formatReport, gateway, runScenario, waitFor } from "@shadow/scenario";
import { describe, expect, it } from "vitest";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();

describe("restore-svc killed with SIGKILL while a shadow catches up, then restarted", () => {
  it("takes the catch-up up again from the log: the migration completes, nothing lost or duplicated", {
    timeout: 300_000,
  }, async () => {
    const workload = workloadName("catchup-restart");
    let killedIn: string | undefined;
    const report = await runScenario(
      env(),
      {
        workload,
        strategy: "shadow",
        identitySwap: false,
        // Close to what the service can process (12 ms a record), with state to copy: the
        // shadow starts well behind and gains on the source slowly, so the catch-up lasts.
        rate: 60,
        costMs: 12,
        ballastMb: 128,
        partitions: 2,
        warmupMs: 3_000,
        cooldownMs: 2_000,
      },
      undefined,
      {
        async onMigrationStarted(migrationId) {
          const view = await waitFor("phase catch-up", 120_000, async () => {
            const v = await gateway<MigrationView>(env(), "GET", `/migrations/${migrationId}`);
            return v.phase === "catch-up" || v.status !== "running" ? v : undefined;
          });
          killedIn = view.status === "running" ? view.phase : view.status;
          await env().services.kill("restore-svc");
          await new Promise((r) => setTimeout(r, 500));
          env().services.start("restore-svc");
          await env().services.waitReady();
        },
      },
    );
    console.log(`restore-svc killed in ${killedIn}\n${formatReport(report)}`);
    expect(killedIn).toBe("catch-up");
    expect(report.migration.status).toBe("completed");
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBe(0);
    expect(report.instancesAfter).toHaveLength(1);
    expect(report.instancesAfter[0]?.mode).toBe("primary");
  });
});
