import { randomBytes } from "node:crypto";
import {
  decodeRecord,
  MigrationAdmitted,
  MigrationRejected,
  MigrationRequested,
  readLog,
  type ShadowEvent,
  topicOffsets,
  topics,
} from "@shadow/events";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { podReady, waitFor } from "./kube.ts";
import {
  BUS_NAMESPACE,
  ensureShadow,
  kubectl,
  SHADOW_NAMESPACE,
  shadowKube,
  WORKLOADS_NAMESPACE,
} from "./shadow-install.ts";

// The Migration resource against the migration controller running in the cluster, and the
// migrations log on the local stack's Kafka (the overlay's bus namespace). What is checked: a
// Migration becomes exactly one MigrationRequested (also after the controller restarts and
// folds the log again), a refused one writes nothing to the log, and its status follows that
// migration's events on the log.
//
// The verdicts are admission-svc's, installed in the cluster beside the controller: the pods
// here are pause containers that cannot fence, so the log's admission refuses them
// (CANNOT_FENCE). A Migration that runs the whole way: migration-in-cluster.test.ts.

process.env.SHADOW_BUS_NAMESPACE = BUS_NAMESPACE;

const cluster = providedCluster();
const kube = shadowKube(cluster.kubeconfig);
const kafka = new Kafka({
  clientId: "migration-resource-test",
  brokers: inject("kafkaBrokers"),
  logLevel: logLevel.WARN,
});
const ns = WORKLOADS_NAMESPACE;
const run = randomBytes(3).toString("hex");
const [sourceNode, targetNode] = cluster.nodes.map((n) => n.name) as [string, string];
const migrations = { group: "shadow.io", version: "v1alpha1", plural: "migrations" };

function providedCluster() {
  const info = inject("cluster");
  if (!info) throw new Error("no cluster provided: run this file in the kubernetes project");
  return info;
}

interface Migration {
  metadata: { name: string; uid: string; finalizers?: string[] };
  status?: {
    phase?: string;
    step?: string;
    message?: string;
    migrationId?: string;
    workload?: string;
    targetNode?: string;
    rejection?: { code: string; reason: string };
  };
}

/** A Running pod labelled as an instance of `workload`: what the controller checks. */
async function workloadPod(name: string, node: string) {
  await kube.core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name, labels: { "shadow.io/workload": name, "shadow-test": run } },
      spec: {
        nodeName: node,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        containers: [{ name: "main", image: cluster.images.pause, imagePullPolicy: "Never" }],
      },
    },
  });
  await waitFor(
    `pod ${name} Ready`,
    90_000,
    () => kube.core.readNamespacedPod({ name, namespace: ns }),
    podReady,
  );
}

async function createMigration(name: string, spec: Record<string, unknown>): Promise<Migration> {
  return (await kube.custom.createNamespacedCustomObject({
    ...migrations,
    namespace: ns,
    body: {
      apiVersion: "shadow.io/v1alpha1",
      kind: "Migration",
      metadata: { name, labels: { "shadow-test": run } },
      spec,
    },
  })) as Migration;
}

async function readMigration(name: string): Promise<Migration> {
  return (await kube.custom.getNamespacedCustomObject({
    ...migrations,
    namespace: ns,
    name,
  })) as Migration;
}

function statusOf(name: string, what: string, done: (m: Migration) => boolean, timeoutMs = 60_000) {
  return waitFor(`Migration ${name}: ${what}`, timeoutMs, () => readMigration(name), done);
}

/** Every valid event of one migration on the migrations log, in log order. */
async function eventsOf(migrationId: string): Promise<ShadowEvent[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const p of await topicOffsets(admin, topics.migrations)) {
      ends.set(p.partition, BigInt(p.high));
    }
  } finally {
    await admin.disconnect();
  }
  const found: ShadowEvent[] = [];
  await readLog(kafka, topics.migrations, ends, (_partition, message) => {
    const decoded = decodeRecord(message);
    if (!decoded.ok) return;
    const data = decoded.event.data as { migrationId?: string } | null;
    if (data?.migrationId === migrationId) found.push(decoded.event);
  });
  return found;
}

/** Onto the log as a service's producer writes: keyed by the workload, the bus's binding. */
/** The log's one verdict on `migrationId`, of `type`: exactly one, whoever asked again. */
async function verdictOnce(migrationId: string, type: string): Promise<ShadowEvent> {
  const verdicts = await waitFor(
    `the log's verdict on ${migrationId}`,
    60_000,
    async () =>
      (await eventsOf(migrationId)).filter(
        (e) => e.type === MigrationAdmitted.type || e.type === MigrationRejected.type,
      ),
    (found) => found.length > 0,
  );
  expect(verdicts.map((v) => v.type)).toEqual([type]);
  return verdicts[0] as ShadowEvent;
}

async function requestedOnce(migrationId: string): Promise<ShadowEvent> {
  const requests = (await eventsOf(migrationId)).filter((e) => e.type === MigrationRequested.type);
  expect(requests, `MigrationRequested of ${migrationId}`).toHaveLength(1);
  return requests[0] as ShadowEvent;
}

async function controllerPod() {
  const pods = await kube.core.listNamespacedPod({
    namespace: SHADOW_NAMESPACE,
    labelSelector: "app.kubernetes.io/name=migration-controller",
  });
  return pods.items.find((p) => podReady(p) && !p.metadata?.deletionTimestamp);
}

beforeAll(async () => {
  await ensureShadow(cluster, kube, ["migration-controller", "admission-svc"]);
});

afterAll(async () => {
  const selector = { namespace: ns, labelSelector: `shadow-test=${run}` };
  const left = (await kube.custom.listNamespacedCustomObject({ ...migrations, ...selector })) as {
    items: Migration[];
  };
  for (const m of left.items) {
    // A finalizer would turn the delete into a rollback request: nothing runs here to answer it.
    await kube.custom
      .patchNamespacedCustomObject({
        ...migrations,
        namespace: ns,
        name: m.metadata.name,
        body: [{ op: "remove", path: "/metadata/finalizers" }],
      })
      .catch(() => undefined);
  }
  await kube.custom.deleteCollectionNamespacedCustomObject({ ...migrations, ...selector });
  await kube.core.deleteCollectionNamespacedPod({ ...selector, gracePeriodSeconds: 0 });
});

describe("a Migration resource", () => {
  const pod = `mr-${run}-a`;
  let migrationId = "";

  test("becomes one MigrationRequested on the log, which the log's admission answers; its status says both", async () => {
    await workloadPod(pod, sourceNode);
    const created = await createMigration(pod, { pod, targetNode });
    const m = await statusOf(pod, "requested", (x) => Boolean(x.status?.migrationId));
    migrationId = m.status?.migrationId ?? "";
    expect(migrationId).toBe(`mig-${created.metadata.uid.replace(/-/g, "").slice(0, 8)}`);
    expect(m.status?.workload).toBe(pod);

    const request = await requestedOnce(migrationId);
    expect(request.data).toMatchObject({
      migrationId,
      workload: pod,
      source: { instance: pod, node: sourceNode },
      targetNode,
      strategy: "shadow",
      requestedBy: "kubernetes",
    });
    // admission-svc, installed beside the controller, answers from the log: this pod (a pause
    // container, no shadow.io/fence label) cannot take part in a shadow migration.
    await verdictOnce(migrationId, MigrationRejected.type);
    const rejected = await statusOf(pod, "rejected", (x) => x.status?.phase === "Rejected");
    expect(rejected.status?.rejection?.code).toBe("CANNOT_FENCE");
    expect(rejected.status?.message).toMatch(
      /^rejected \(CANNOT_FENCE\): workload .* cannot take part/,
    );
    // Over, so nothing is left to roll back: its finalizer is gone.
    await statusOf(pod, "no finalizer", (x) => (x.metadata.finalizers ?? []).length === 0);

    const { stdout } = await kubectl(cluster, ["get", "migrations", "-n", ns, pod]);
    expect(stdout).toMatch(new RegExp(`${pod}\\s+Rejected\\s+${pod}\\s+${pod}\\s+${targetNode}`));
  });

  test("a controller that restarts and folds the log again asks for it no second time", async () => {
    const before = await controllerPod();
    expect(before).toBeDefined();
    await kube.core.deleteNamespacedPod({
      name: before?.metadata?.name ?? "",
      namespace: SHADOW_NAMESPACE,
    });
    await waitFor(
      "a new migration-controller Ready",
      120_000,
      controllerPod,
      (p) => p !== undefined && p.metadata?.name !== before?.metadata?.name,
    );
    // The new controller looks at every Migration when its informer lists them, in order: once
    // a Migration created after its start has its answer, the older one was looked at too.
    const later = `mr-${run}-b`;
    await workloadPod(later, sourceNode);
    await createMigration(later, { pod: later, targetNode });
    const m = await statusOf(later, "requested", (x) => Boolean(x.status?.migrationId));
    await requestedOnce(m.status?.migrationId ?? "");

    await requestedOnce(migrationId);
    await verdictOnce(migrationId, MigrationRejected.type);
    expect((await readMigration(pod)).status).toMatchObject({ phase: "Rejected", migrationId });
  });

  // That an admitted Migration's status follows its run, step by step, to Completed is shown
  // against the real pipeline (every part installed in the cluster) by migration-in-cluster.
});

describe("a Migration that cannot run", () => {
  test("of an unknown pod is refused in its status, and nothing reaches the log", async () => {
    const name = `mr-${run}-ghost`;
    const created = await createMigration(name, { pod: name, targetNode });
    const m = await statusOf(name, "rejected", (x) => x.status?.phase === "Rejected");
    expect(m.status?.rejection?.code).toBe("UNKNOWN_POD");
    expect(m.status?.message).toBe(`no pod named ${name} in namespace ${ns}`);
    expect(m.status?.migrationId).toBeUndefined();
    expect(m.metadata.finalizers ?? []).toEqual([]);
    const id = `mig-${created.metadata.uid.replace(/-/g, "").slice(0, 8)}`;
    expect(await eventsOf(id)).toEqual([]);
  });

  test("to an unknown node is refused in its status, and nothing reaches the log", async () => {
    const pod = `mr-${run}-c`;
    await workloadPod(pod, sourceNode);
    const created = await createMigration(pod, { pod, targetNode: "no-such-node" });
    const m = await statusOf(pod, "rejected", (x) => x.status?.phase === "Rejected");
    expect(m.status?.rejection?.code).toBe("UNKNOWN_NODE");
    expect(m.status?.message).toBe("no node named no-such-node");
    const id = `mig-${created.metadata.uid.replace(/-/g, "").slice(0, 8)}`;
    expect(await eventsOf(id)).toEqual([]);
  });

  test("that the schema can tell is refused by the API server itself", async () => {
    const refused = await createMigration(`mr-${run}-bad`, {
      pod: "Not_A_Pod",
      strategy: "teleport",
    }).then(
      () => undefined,
      (error: { code?: number; body?: string }) => error,
    );
    expect(refused?.code).toBe(422);
    expect(String(refused?.body)).toContain("spec.pod");
    expect(String(refused?.body)).toContain("spec.strategy");
  });
});
