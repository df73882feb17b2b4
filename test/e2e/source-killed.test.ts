import {
  FenceCut,
  FenceRequested,
  ShadowCaughtUp,
  type ShadowEvent,
  ShadowRestored,
  SourceLost,
} from "@shadow/events";
import type { MigrationView } from "@shadow/migration";
import { formatReport, gateway, runScenario, type ScenarioReport, waitFor } from "@shadow/scenario";
import { describe, expect, it } from "vitest";
import { holdService, watchMigration } from "./migration-watch.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();

/**
 * The duplicates a failover may produce, as the workload SDK's README states them: the outputs
 * the source produced past its last commit (one commit interval's, 100 ms, at 40 msg/s: 4) and
 * those in flight when it died. Never a loss.
 */
const FAILOVER_DUPLICATES_BOUND = 20;

/** When the source dies: a phase of the migration, and for the checkpoint, after its dump. */
const killPoints: { phase: MigrationView["phase"]; afterDump?: boolean; costMs?: number }[] = [
  { phase: "checkpoint", afterDump: true },
  { phase: "image" },
  { phase: "restore" },
  // 20 ms a record at 40 msg/s: the replay of what came in meanwhile lasts long enough to be hit.
  { phase: "catch-up", costMs: 20 },
];

describe("the source killed with SIGKILL mid-migration: a failover, not an outage", () => {
  it.each(killPoints)(
    "killed in $phase: one copy serves after, balances intact, nothing lost",
    { timeout: 240_000 },
    async ({ phase, afterDump, costMs }) => {
      const workload = workloadName(`srckill-${phase.replace("-", "")}`);
      let killed: { phase: string; instance: string; node: string } | undefined;
      const report = await runScenario(
        env(),
        {
          workload,
          strategy: "shadow",
          identitySwap: false,
          rate: 40,
          partitions: 2,
          warmupMs: 3_000,
          cooldownMs: 3_000,
          ...(costMs !== undefined ? { costMs } : {}),
        },
        undefined,
        {
          async onMigrationStarted(migrationId) {
            const view = await waitFor(`phase ${phase}`, 60_000, async () => {
              const v = await gateway<MigrationView>(env(), "GET", `/migrations/${migrationId}`);
              if (v.status !== "running") return v;
              if (afterDump) return v.work.some((w) => w.frozenAt !== undefined) ? v : undefined;
              return v.phase === phase ? v : undefined;
            });
            const source = await env().runtime.inspect(workload);
            if (!source?.pid) throw new Error(`no process for ${workload}`);
            process.kill(source.pid, "SIGKILL");
            killed = { phase: view.phase, instance: source.instance, node: source.node };
          },
        },
      );
      console.log(`source killed in ${killed?.phase}\n${formatReport(report)}`);
      // After the dump is when CheckpointCreated is in the log: the image phase has begun.
      expect(killed?.phase).toBe(afterDump ? "image" : phase);
      expectFailover(report);
    },
  );

  it("killed in fence, after FenceRequested and before its cut: the shadow takes over from its committed progress", {
    timeout: 240_000,
  }, async () => {
    const workload = workloadName("srckill-fence");
    let fenceEvents: ShadowEvent[] = [];
    let killedAfterMs: number | undefined;
    const report = await runScenario(
      env(),
      {
        workload,
        strategy: "shadow",
        identitySwap: false,
        rate: 40,
        partitions: 2,
        warmupMs: 3_000,
        cooldownMs: 3_000,
      },
      undefined,
      {
        async onMigrationStarted(migrationId) {
          const source = await env().runtime.inspect(workload);
          if (!source?.pid) throw new Error(`no process for ${workload}`);
          const pid = source.pid;
          const watch = await watchMigration(env().brokers, migrationId);
          let fenceSvc: { release(): void } | undefined;
          let sourceKilled = false;
          try {
            // fence-svc is held while the shadow catches up, so that the source is stopped
            // before anyone can ask it for its cut; then it asks, and the source dies unable to
            // answer. Without the hold the source cuts within a few ms of ShadowCaughtUp.
            await watch.next((e) => e.type === ShadowRestored.type, 120_000);
            fenceSvc = holdService(env(), "fence-svc");
            await watch.next((e) => e.type === ShadowCaughtUp.type, 120_000);
            process.kill(pid, "SIGSTOP");
            const stoppedAt = Date.now();
            fenceSvc.release();
            await watch.next((e) => e.type === FenceRequested.type, 30_000);
            process.kill(pid, "SIGKILL");
            sourceKilled = true;
            killedAfterMs = Date.now() - stoppedAt;
            await watch.next((e) => e.type === FenceCut.type, 60_000);
            // SourceLost travels on the migrations topic, the cut on the control topic: this
            // reader of both can get the cut first. Its absence still fails below.
            await watch.next((e) => e.type === SourceLost.type, 10_000).catch(() => undefined);
            fenceEvents = [...watch.seen];
          } finally {
            fenceSvc?.release();
            if (!sourceKilled) process.kill(pid, "SIGCONT");
            await watch.close();
          }
        },
      },
    );
    console.log(
      `source stopped at ShadowCaughtUp (fence-svc held), killed ${killedAfterMs} ms later after FenceRequested\n` +
        `events: ${fenceEvents.map((e) => `${e.type.split(".").slice(-2).join(".")} from ${e.source}`).join(", ")}\n${formatReport(report)}`,
    );
    // Stopped before it could cut, the source gave no cut: the only one is fence-svc's on its
    // behalf, from restore-svc's SourceLost (its committed progress, read through the shadow).
    const cuts = fenceEvents.filter((e) => e.type === FenceCut.type);
    expect(cuts.map((e) => e.source)).toEqual([expect.stringContaining("fence-svc")]);
    expect(fenceEvents.some((e) => e.type === SourceLost.type)).toBe(true);
    expect(report.migration.work.find((w) => w.round === 1)?.sourceLostAt).toBeDefined();
    expectFailover(report);
  });
});

/** One copy serves after, the promoted shadow on the target; balances intact, nothing lost. */
function expectFailover(report: ScenarioReport): void {
  // The shadow was promoted: the migration completed and what serves is the shadow.
  expect(report.migration.status).toBe("completed");
  expect(report.migration.final?.node).toBe(report.options.targetNode);
  const running = report.instancesAfter.filter((i) => i.state === "running");
  expect(running).toHaveLength(1);
  expect(running[0]?.mode).toBe("primary");
  expect(running[0]?.node).toBe(report.migration.final?.node);
  // Its state is the source's: every balance follows from the inputs (the verifier checks
  // each output's balance against the sum of its key's amounts), nothing lost.
  expect(report.verify.balances.wrong).toBe(0);
  expect(report.verify.lost.count).toBe(0);
  expect(report.verify.duplicated.count).toBeLessThanOrEqual(FAILOVER_DUPLICATES_BOUND);
  // outSeq, the count of outputs across both partitions, is exact for every output but the
  // failover's duplicates: the records the source processed after its last commit are
  // processed again in the order the shadow's consumer fetches them, which across
  // partitions need not be the source's (nothing records it), and the source's commits per
  // partition need not be a prefix of its processing order. Each duplicate can then carry
  // another number than its first copy and shift one other number by one (seen: 2
  // duplicates, numbers swapped; 1 duplicate, one number given twice and one skipped). Open
  // (issue 20): commit a prefix of the processing order. Until then, bounded by the
  // duplicates, and none at all without them.
  const { repeated, skipped, inconsistent } = report.verify.outSeq;
  const duplicates = report.verify.duplicated.count;
  expect(inconsistent).toBeLessThanOrEqual(duplicates);
  expect(repeated).toBeLessThanOrEqual(duplicates);
  expect(skipped).toBeLessThanOrEqual(duplicates);
}
