import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { MigrationFailed, type ShadowEvent, ShadowRestored } from "@shadow/events";
import type { MigrationView } from "@shadow/migration";
import { formatReport, gateway, runScenario, waitFor } from "@shadow/scenario";
import { repoRoot } from "@shadow/supervisor";
import { afterAll, describe, expect, test } from "vitest";
import { watchMigration } from "../e2e/migration-watch.ts";
import { providedCluster } from "./adapter-env.ts";
import { useKubernetesScenario } from "./k8s-scenario.ts";
import { connect, waitFor as waitForKube } from "./kube.ts";

// A copy lost mid-migration on Kubernetes, as a cluster loses one: the source pod deleted
// (`kubectl delete pod`), and the target node's kubelet gone (the node turns NotReady, its
// containers run on). The node is marked NotReady as the node controller would mark it 50 s
// later (see markUnknown). The first is a failover: the shadow is the copy left and takes over.
// The second is a rollback: the source still serves, and a shadow made primary on a node whose
// pods are about to be evicted would be lost with them.

const { cluster } = providedCluster();
const kube = connect(cluster.kubeconfig);
const { env, namespace } = useKubernetesScenario("pod");
const [nodeA, nodeB] = cluster.nodes;

/** The duplicates a failover may produce (see test/e2e/source-killed.test.ts). */
const FAILOVER_DUPLICATES_BOUND = 20;
/** Each input's cost where the catch-up must last seconds (see test/e2e/rollback.test.ts). */
const SLOW_REPLAY_COST_MS = 50;

const nodeScript = (command: "start" | "lose", node: string) =>
  promisify(execFile)("bash", ["deploy/cluster/node.sh", command, node], {
    cwd: repoRoot,
    timeout: 180_000,
  });

/**
 * The node's Ready condition set to Unknown, as the node lifecycle controller sets it once the
 * kubelet has been silent for its grace period (50 s): the test need not wait that long. With
 * the kubelet stopped, nothing sets it back.
 */
async function markUnknown(name: string): Promise<void> {
  const patch = {
    status: {
      conditions: [
        {
          type: "Ready",
          status: "Unknown",
          reason: "NodeStatusUnknown",
          message: "Kubelet stopped posting node status.",
          lastHeartbeatTime: new Date().toISOString(),
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    },
  };
  await promisify(execFile)(cluster.tools.kubectl, [
    "--kubeconfig",
    cluster.kubeconfig,
    "patch",
    "node",
    name,
    "--subresource=status",
    "--type=strategic",
    "-p",
    JSON.stringify(patch),
  ]);
}

/** Whether the API server calls the node Ready. */
async function nodeReady(name: string): Promise<boolean> {
  const node = await kube.core.readNode({ name });
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** The pods of this namespace, by name, node and the migration that made them. */
async function podsNow() {
  return (await kube.core.listNamespacedPod({ namespace })).items.map((p) => ({
    name: p.metadata?.name ?? "",
    node: p.spec?.nodeName ?? "",
    migration: p.metadata?.labels?.["shadow.io/migration"],
    deleting: p.metadata?.deletionTimestamp !== undefined,
  }));
}

afterAll(async () => {
  // Whatever happened, the node is back for the files after this one.
  if (nodeB && !(await nodeReady(nodeB.name).catch(() => false)))
    await nodeScript("start", nodeB.name);
});

describe("a copy lost mid-migration on Kubernetes", () => {
  test("the source pod deleted during the restore: the shadow takes over, nothing lost", {
    timeout: 600_000,
  }, async () => {
    const workload = "lost-src";
    let deletedIn: string | undefined;
    let podsAfter: Awaited<ReturnType<typeof podsNow>> = [];
    const report = await runScenario(
      env(),
      {
        workload,
        sourceNode: nodeA?.name,
        targetNode: nodeB?.name,
        strategy: "shadow",
        identitySwap: false,
        rate: 30,
        partitions: 2,
        costMs: 5,
        warmupMs: 4_000,
        cooldownMs: 3_000,
        migrationTimeoutMs: 300_000,
      },
      (line) => console.log(line),
      {
        async onMigrationStarted(migrationId) {
          const view = await waitFor("the restore phase", 240_000, async () => {
            const v = await gateway<MigrationView>(env(), "GET", `/migrations/${migrationId}`);
            return v.status !== "running" || v.phase === "restore" ? v : undefined;
          });
          const source = (await env().runtime.list()).find(
            (i) => i.workload === workload && i.node === nodeA?.name,
          );
          if (!source) throw new Error(`no source of ${workload} on ${nodeA?.name}`);
          // As `kubectl delete pod` does: the default grace, SIGTERM first.
          await kube.core.deleteNamespacedPod({ name: source.instance, namespace });
          deletedIn = view.phase;
        },
        async onMigrationEnded() {
          // The pod still stands here (the scenario deletes the workload at its end).
          podsAfter = (await podsNow()).filter((p) => !p.deleting);
        },
      },
    );
    console.log(`source pod deleted in ${deletedIn}\n${formatReport(report)}`);
    expect(deletedIn).toBe("restore");
    expect(report.migration.status).toBe("completed");
    expect(report.migration.final?.node).toBe(nodeB?.name);
    const running = report.instancesAfter.filter((i) => i.state === "running");
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({ node: nodeB?.name, mode: "primary" });
    expect(report.verify.balances.wrong).toBe(0);
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBeLessThanOrEqual(FAILOVER_DUPLICATES_BOUND);
    // One pod is left of the workload: the promoted shadow, on the target.
    expect(podsAfter.map((p) => p.node)).toEqual([nodeB?.name]);
  });

  test("the target node's kubelet lost during the catch-up: rolled back, the source serves on, nothing left behind", {
    timeout: 600_000,
  }, async () => {
    if (!nodeA || !nodeB) throw new Error("the cluster has fewer than two nodes");
    const workload = "lost-target";
    let seen: ShadowEvent[] = [];
    let lostForMs: number | undefined;
    let migrationPods: Awaited<ReturnType<typeof podsNow>> = [];
    try {
      const report = await runScenario(
        env(),
        {
          workload,
          sourceNode: nodeA.name,
          targetNode: nodeB.name,
          strategy: "shadow",
          identitySwap: false,
          // 50 ms an input: the shadow's replay of what came in since the checkpoint takes
          // seconds (each partition 20/s against about 13/s arriving), time to lose its node.
          rate: 40,
          partitions: 3,
          costMs: SLOW_REPLAY_COST_MS,
          warmupMs: 4_000,
          cooldownMs: 3_000,
          migrationTimeoutMs: 400_000,
        },
        (line) => console.log(line),
        {
          async onMigrationStarted(migrationId) {
            const watch = await watchMigration(env().brokers, migrationId);
            try {
              await watch.next((e) => e.type === ShadowRestored.type, 240_000);
              const lostAt = Date.now();
              await nodeScript("lose", nodeB.name);
              await markUnknown(nodeB.name);
              await watch.next((e) => e.type === MigrationFailed.type, 60_000);
              lostForMs = Date.now() - lostAt;
              seen = [...watch.seen];
            } finally {
              await watch.close();
            }
          },
          async onMigrationEnded(view) {
            // The kubelet back: it ends the sandboxes of pods the API no longer has.
            await nodeScript("start", nodeB.name);
            migrationPods = (await podsNow()).filter((p) => p.migration === view.migrationId);
          },
        },
      );
      console.log(
        `kubelet of ${nodeB.name} stopped at ShadowRestored; the migration failed ${lostForMs} ms later\n` +
          `events: ${seen.map((e) => e.type.split(".").slice(-2).join(".")).join(", ")}\n${formatReport(report)}`,
      );
      expect(report.migration.status).toBe("rolled-back");
      expect(report.migration.failure).toMatchObject({
        step: "catch-up",
        code: "TARGET_NOT_READY",
      });
      expect(report.migration.failure?.reason).toContain(nodeB.name);
      const running = report.instancesAfter.filter((i) => i.state === "running");
      expect(running).toHaveLength(1);
      expect(running[0]).toMatchObject({ node: nodeA.name, mode: "primary" });
      expect(report.verify.lost.count).toBe(0);
      expect(report.verify.duplicated.count).toBe(0);
      // The source was never paused: the fence was never asked for.
      expect.soft(report.probe.longestOutageMs).toBe(0);
      // Nothing the migration made is left: its shadow pod went with the rollback.
      expect(migrationPods).toEqual([]);
      await waitForKube(
        "the workload's pods on the source node only",
        60_000,
        () => podsNow(),
        (pods) => pods.every((p) => p.node === nodeA.name),
      );
    } finally {
      if (!(await nodeReady(nodeB.name).catch(() => false))) await nodeScript("start", nodeB.name);
    }
  });
});
