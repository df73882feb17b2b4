import { hasEnded, type MigrationView } from "@shadow/migration";
import { formatReport, gateway, runScenario, waitFor } from "@shadow/scenario";
import { describe, expect, it } from "vitest";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();

describe("a name restore: a later request gives a workload serving under a shadow's name its own name back", () => {
  it("after a migration without identity swap, round 2 alone on the node it serves on, under load: nothing lost or duplicated, no downtime", {
    timeout: 300_000,
  }, async () => {
    const workload = workloadName("renamed");
    let restore: MigrationView | undefined;
    let servedAs: string | undefined;
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
        // Still under load and probed: the restore is a second live handoff.
        async onMigrationEnded(moved) {
          if (moved.status !== "completed") return;
          servedAs = moved.final?.instance;
          const { migrationId } = await gateway<{ migrationId: string }>(
            env(),
            "POST",
            "/migrations",
            { workload, nameRestore: true },
          );
          restore = await waitFor(`name restore ${migrationId}`, 180_000, async () => {
            const view = await gateway<MigrationView>(env(), "GET", `/migrations/${migrationId}`);
            return hasEnded(view) ? view : undefined;
          });
        },
      },
    );
    console.log(
      `moved without identity swap, then its name restored\n${formatReport(report)}\nrestore: ${JSON.stringify(restore?.phases)}`,
    );
    expect(report.migration.status).toBe("completed");
    expect(servedAs).toMatch(new RegExp(`^${workload}-shadow-`));
    expect(restore).toMatchObject({
      status: "completed",
      nameRestore: true,
      identitySwap: true,
      source: { instance: servedAs, node: "node-b" },
      final: { instance: workload, node: "node-b" },
    });
    expect(restore?.swapFailure).toBeUndefined();
    // One handoff, the identity swap's second round: no round 1, no shadow of its own.
    expect(new Set(restore?.phases.map((p) => p.round))).toEqual(new Set([2]));
    expect(restore?.phases.map((p) => p.phase)).toEqual([
      "checkpoint",
      "image",
      "restore",
      "catch-up",
      "fence",
      "drain",
    ]);
    expect(report.instancesAfter).toEqual([
      { instance: workload, node: "node-b", state: "running", mode: "primary" },
    ]);
    expect(report.load.sent).toBeGreaterThan(100);
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBe(0);
    expect(report.probe.longestOutageMs).toBe(0);
  });
});
