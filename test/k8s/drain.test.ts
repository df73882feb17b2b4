import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { createFakeNode, MIGRATIONS, removeMigrations } from "./fake-node.ts";
import { podReady, waitFor } from "./kube.ts";
import { ensureShadow, shadowKube, WORKLOADS_NAMESPACE } from "./shadow-install.ts";

// `kubectl drain` of a node running a shadow pod: the eviction webhook (and the pod's
// PodDisruptionBudget behind it) keeps eviction from killing it (drain retries), and the
// migration controller turns the cordon into a Migration that moves it off, to a node it picks. The node is a kwok fake node of this test's
// own, so the real nodes other tests use are never cordoned; a migration off it goes as far as
// the log's MigrationRequested and admission's answer (a fake node's pod cannot be checkpointed).

const cluster = providedCluster();
const kube = shadowKube(cluster.kubeconfig);
const ns = WORKLOADS_NAMESPACE;
const run = randomBytes(3).toString("hex");
const node = `drain-${run}`;
const pod = `dr-${run}`;
const selector = `shadow-test=${run}`;

function providedCluster() {
  const info = inject("cluster");
  if (!info) throw new Error("no cluster provided: run this file in the kubernetes project");
  return info;
}

interface Migration {
  metadata: { name: string };
  spec: { pod: string; targetNode?: string; reason?: string };
  status?: { phase?: string; migrationId?: string; source?: { node: string }; targetNode?: string };
}

async function drainMigrations(): Promise<Migration[]> {
  const list = (await kube.custom.listNamespacedCustomObject({
    ...MIGRATIONS,
    namespace: ns,
    labelSelector: `shadow.io/drained-node=${node}`,
  })) as { items: Migration[] };
  return list.items;
}

beforeAll(async () => {
  await ensureShadow(cluster, kube, ["migration-controller"]);
  const toleration = await createFakeNode(kube, cluster, node);
  await kube.core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: pod, labels: { "shadow.io/workload": pod, "shadow-test": run } },
      spec: {
        nodeName: node,
        tolerations: [toleration],
        containers: [{ name: "main", image: cluster.images.pause }],
      },
    },
  });
  await waitFor(
    `pod ${pod} Ready`,
    60_000,
    () => kube.core.readNamespacedPod({ name: pod, namespace: ns }),
    podReady,
  );
  // What a stateful workload shadow migrates carries: none of its pods may just be evicted.
  await kube.policy.createNamespacedPodDisruptionBudget({
    namespace: ns,
    body: {
      metadata: { name: pod, labels: { "shadow-test": run } },
      spec: { maxUnavailable: 0, selector: { matchLabels: { "shadow-test": run } } },
    },
  });
});

afterAll(async () => {
  await removeMigrations(kube, ns, `shadow.io/drained-node=${node}`);
  await kube.policy
    .deleteNamespacedPodDisruptionBudget({ name: pod, namespace: ns })
    .catch(() => undefined);
  // No kubelet confirms a fake pod's end: deleted at once.
  await kube.core
    .deleteNamespacedPod({ name: pod, namespace: ns, gracePeriodSeconds: 0 })
    .catch(() => undefined);
  await kube.core.deleteNode({ name: node }).catch(() => undefined);
});

describe("kubectl drain of a node with a shadow pod", () => {
  test("does not evict it: the drain waits, and a Migration moves the pod off the node", async () => {
    const drained = await promisify(execFile)(
      cluster.tools.kubectl,
      [
        "--kubeconfig",
        cluster.kubeconfig,
        "drain",
        node,
        "--pod-selector",
        selector,
        // The test's pod has no controller (a StatefulSet's would): drain refuses such a pod
        // unless forced. Forced, it still evicts, which the disruption budget refuses.
        "--force",
        "--timeout=20s",
      ],
      { maxBuffer: 4 * 1024 * 1024 },
    ).then(
      () => ({ failed: false, stderr: "" }),
      (error: { stderr?: string }) => ({ failed: true, stderr: String(error.stderr) }),
    );
    // Eviction was refused while the pod still runs there (by the migration controller's
    // eviction webhook, before the disruption budget is looked at), so drain gave up at its
    // timeout.
    expect(drained.failed).toBe(true);
    expect(drained.stderr).toContain("Eviction triggered evacuation");
    const still = await kube.core.readNamespacedPod({ name: pod, namespace: ns });
    expect(still.metadata?.deletionTimestamp).toBeUndefined();
    expect((await kube.core.readNode({ name: node })).spec?.unschedulable).toBe(true);

    const [m] = await waitFor(
      "a drain Migration requested",
      60_000,
      drainMigrations,
      (list) => list.length === 1 && Boolean(list[0]?.status?.migrationId),
    );
    // Asked for by the cordon or by the first refused eviction, whichever came first: one
    // Migration either way (the same name).
    expect(m?.spec.pod).toBe(pod);
    expect([`node ${node} is draining`, `pod ${pod} was evicted from ${node}`]).toContain(
      m?.spec.reason,
    );
    // On the log; admission-svc, installed beside the controller, may have answered it already
    // (this pod, a pause container on a fake node, cannot fence: refused).
    expect(["Requested", "Rejected"]).toContain(m?.status?.phase);
    expect(m?.status?.source?.node).toBe(node);
    // Picked by the controller: a Ready node that takes pods, not the fake one being drained.
    expect(cluster.nodes.map((n) => n.name)).toContain(m?.status?.targetNode);
  });

  test("looked at again (a resync, a restart), the cordon asks for nothing more", async () => {
    // The controller looks at every node again each 30 s.
    await new Promise((resolve) => setTimeout(resolve, 35_000));
    expect(await drainMigrations()).toHaveLength(1);
  });
});
