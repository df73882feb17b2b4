import { IdentitySwapRequested, topics } from "@shadow/events";
import type { MigrationView } from "@shadow/migration";
import { formatReport, gateway, runScenario, type ServiceName, waitFor } from "@shadow/scenario";
import { describe, expect, it } from "vitest";
import { watchMigration } from "./migration-watch.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();

/** Each service is killed while the step it owns is under way (the gateway while any is). */
const killPoints: [ServiceName, MigrationView["phase"]][] = [
  ["admission-svc", "checkpoint"],
  ["checkpoint-svc", "checkpoint"],
  ["image-svc", "image"],
  ["restore-svc", "restore"],
  ["fence-svc", "catch-up"],
  ["drain-svc", "fence"],
  ["gateway", "image"],
];

describe("a service killed with SIGKILL mid-migration, then restarted", () => {
  it.each(killPoints)(
    "%s (killed in phase %s): the migration ends, nothing lost or duplicated",
    { timeout: 240_000 },
    async (service, phase) => {
      const workload = workloadName(`crash-${service.replace(/-svc$/, "")}`);
      let killedAt: string | undefined;
      const report = await runScenario(
        env(),
        {
          workload,
          strategy: "shadow",
          identitySwap: false,
          rate: 40,
          partitions: 2,
          warmupMs: 3_000,
          cooldownMs: 2_000,
        },
        undefined,
        {
          async onMigrationStarted(migrationId) {
            await waitFor(`phase ${phase}`, 60_000, async () => {
              const view = await gateway<MigrationView>(env(), "GET", `/migrations/${migrationId}`);
              return view.phase === phase || view.status !== "running" ? view : undefined;
            });
            killedAt = phase;
            await env().services.kill(service);
            await new Promise((r) => setTimeout(r, 500));
            env().services.start(service);
            await env().services.waitReady();
          },
        },
      );
      console.log(`${service} killed in phase ${killedAt}\n${formatReport(report)}`);
      expect(killedAt).toBe(phase);
      expect(["completed", "rolled-back"]).toContain(report.migration.status);
      expect(report.verify.lost.count).toBe(0);
      expect(report.verify.duplicated.count).toBe(0);
      // Whichever way it ended, exactly one instance serves, as primary.
      expect(report.instancesAfter).toHaveLength(1);
      expect(report.instancesAfter[0]?.mode).toBe("primary");
    },
  );

  it("checkpoint-svc killed as the identity swap's round 2 begins: round 2 is taken up again and the name comes back", {
    timeout: 240_000,
  }, async () => {
    const workload = workloadName("crash-round2");
    let killedAfterRequest = false;
    const report = await runScenario(
      env(),
      {
        workload,
        strategy: "shadow",
        identitySwap: true,
        rate: 40,
        partitions: 2,
        warmupMs: 3_000,
        cooldownMs: 2_000,
      },
      undefined,
      {
        async onMigrationStarted(migrationId) {
          const watch = await watchMigration(env().brokers, migrationId, [topics.migrations]);
          try {
            // Round 2 is requested by drain-svc; checkpoint-svc dies as it takes it up.
            await watch.next((e) => e.type === IdentitySwapRequested.type, 120_000);
            await env().services.kill("checkpoint-svc");
            killedAfterRequest = true;
            await new Promise((r) => setTimeout(r, 500));
            env().services.start("checkpoint-svc");
            await env().services.waitReady();
          } finally {
            await watch.close();
          }
        },
      },
    );
    console.log(`checkpoint-svc killed at round 2's request\n${formatReport(report)}`);
    expect(killedAfterRequest).toBe(true);
    // Round 2 completed after the restart: the workload serves on the target under its name.
    expect(report.migration.status).toBe("completed");
    expect(report.migration.swapFailure).toBeUndefined();
    expect(report.migration.final).toEqual({ instance: workload, node: report.options.targetNode });
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBe(0);
    expect(report.instancesAfter).toHaveLength(1);
  });
});
