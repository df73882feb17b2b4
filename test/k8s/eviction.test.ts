import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { createFakeNode, MIGRATIONS, removeMigrations } from "./fake-node.ts";
import { podReady, waitFor } from "./kube.ts";
import { ensureShadow, shadowKube, WORKLOADS_NAMESPACE } from "./shadow-install.ts";

// An eviction (what `kubectl drain`, the descheduler and autoscalers send) of a shadow pod, on
// its own, with no cordon and no disruption budget: the migration controller's webhook refuses
// it with 429 "Eviction triggered evacuation" and asks for a Migration instead. A pod opted out
// with shadow.io/migrate: never is evicted as usual. The pods run on a kwok fake node of this
// test's own, so a migration goes as far as the log's MigrationRequested and admission's answer.

const cluster = providedCluster();
const kube = shadowKube(cluster.kubeconfig);
const ns = WORKLOADS_NAMESPACE;
const run = randomBytes(3).toString("hex");
const node = `evict-${run}`;
const moved = `ev-${run}`;
const kept = `never-${run}`;

function providedCluster() {
  const info = inject("cluster");
  if (!info) throw new Error("no cluster provided: run this file in the kubernetes project");
  return info;
}

interface Migration {
  metadata: { name: string };
  spec: { pod: string; reason?: string };
  status?: { phase?: string; migrationId?: string };
}

async function migrationsOff(): Promise<Migration[]> {
  const list = (await kube.custom.listNamespacedCustomObject({
    ...MIGRATIONS,
    namespace: ns,
    labelSelector: `shadow.io/drained-node=${node}`,
  })) as { items: Migration[] };
  return list.items;
}

async function evict(pod: string): Promise<{ code: number; body: string }> {
  return kube.core
    .createNamespacedPodEviction({
      name: pod,
      namespace: ns,
      body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace: ns } },
    })
    .then(
      () => ({ code: 201, body: "" }),
      (error: { code?: number; body?: unknown }) => ({
        code: error.code ?? 0,
        body: String(error.body ?? error),
      }),
    );
}

beforeAll(async () => {
  await ensureShadow(cluster, kube, ["migration-controller"]);
  const toleration = await createFakeNode(kube, cluster, node);
  for (const [pod, labels] of [
    [moved, {}],
    [kept, { "shadow.io/migrate": "never" }],
  ] as const) {
    await kube.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: pod, labels: { "shadow.io/workload": pod, ...labels } },
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
  }
});

afterAll(async () => {
  await removeMigrations(kube, ns, `shadow.io/drained-node=${node}`);
  for (const pod of [moved, kept]) {
    await kube.core
      .deleteNamespacedPod({ name: pod, namespace: ns, gracePeriodSeconds: 0 })
      .catch(() => undefined);
  }
  await kube.core.deleteNode({ name: node }).catch(() => undefined);
});

describe("an eviction of a pod shadow migrates", () => {
  test("is refused with 429 'Eviction triggered evacuation' and becomes one Migration, however often it comes", async () => {
    const first = await evict(moved);
    expect(first.code).toBe(429);
    expect(first.body).toContain("Eviction triggered evacuation");
    // drain retries every 5 s: the same answer, and no second Migration.
    const again = await evict(moved);
    expect(again.code).toBe(429);
    const [m] = await waitFor(
      "the eviction's Migration on the log",
      60_000,
      migrationsOff,
      (list) => list.length === 1 && Boolean(list[0]?.status?.migrationId),
    );
    expect(m?.spec.pod).toBe(moved);
    expect(m?.spec.reason).toBe(`pod ${moved} was evicted from ${node}`);
    expect(["Requested", "Rejected"]).toContain(m?.status?.phase);
    const still = await kube.core.readNamespacedPod({ name: moved, namespace: ns });
    expect(still.metadata?.deletionTimestamp).toBeUndefined();
  });

  test("opted out with shadow.io/migrate: never, it is evicted as usual and nothing is asked", async () => {
    const result = await evict(kept);
    expect(result.code).toBe(201);
    const gone = await kube.core.readNamespacedPod({ name: kept, namespace: ns }).then(
      (p) => Boolean(p.metadata?.deletionTimestamp),
      () => true,
    );
    expect(gone).toBe(true);
    expect((await migrationsOff()).map((m) => m.spec.pod)).toEqual([moved]);
  });
});
