import { randomBytes } from "node:crypto";
import { NodePressureDetected, PressureDecided } from "@shadow/events";
import { decide, noConditions, observe, policyConfig, runtimeSignals } from "@shadow/pressure-svc";
import { createKubernetesRuntime, type KubernetesRuntime } from "@shadow/runtime/kubernetes";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { readTopicEvents } from "../e2e/topic-events.ts";
import { adapterConfig, providedCluster } from "./adapter-env.ts";
import { connect, nodeReady, podReady, waitFor } from "./kube.ts";
import { BUS_NAMESPACE, ensureShadow, shadowKube } from "./shadow-install.ts";

// pressure-svc's signals and policy on the real API server, through the kubernetes adapter's
// watches: a cordoned node and a node tainted NoExecute become conditions, and the policy
// decides to move the workloads off them to a real node, leaving alone a pod annotated
// shadow.io/migrate: never. In dry-run, as a decision only: the pods run on kwok fake nodes of
// this test's own (untainted, so the cordon and the taint are the only marks), where nothing can
// be checkpointed. The pressure-svc installed in the cluster (the local overlay's, in dry-run)
// sees the same cordon and puts its announcement and decision on the log.

const { cluster } = providedCluster();
const kube = connect(cluster.kubeconfig);
const run = randomBytes(3).toString("hex");
const namespace = `pressure-${run}`;
const cordoned = `cordoned-${run}`;
const tainted = `tainted-${run}`;
const [fakeKey, fakeValue] = Object.entries(cluster.fakeNodeAnnotation)[0] as [string, string];
const taint = { key: "maintenance", value: run, effect: "NoExecute" };
let runtime: KubernetesRuntime | undefined;

const pods: { name: string; node: string; annotations: Record<string, string> }[] = [
  { name: `off-cordon-${run}`, node: cordoned, annotations: {} },
  { name: `kept-${run}`, node: cordoned, annotations: { "shadow.io/migrate": "never" } },
  { name: `off-taint-${run}`, node: tainted, annotations: {} },
];

beforeAll(async () => {
  await ensureShadow(cluster, shadowKube(cluster.kubeconfig), ["pressure-svc"]);
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  for (const node of [cordoned, tainted]) {
    await kube.core.createNode({
      body: {
        metadata: { name: node, annotations: { [fakeKey]: fakeValue } },
        status: {
          allocatable: { pods: "10", memory: "8Gi" },
          capacity: { pods: "10", memory: "8Gi" },
        },
      },
    });
    await waitFor(
      `fake node ${node} Ready`,
      60_000,
      () => kube.core.readNode({ name: node }),
      nodeReady,
    );
  }
  for (const pod of pods) {
    await kube.core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: pod.name,
          labels: { "shadow.io/workload": pod.name },
          annotations: pod.annotations,
        },
        spec: {
          nodeName: pod.node,
          // Kept on the tainted node: the taint is a mark to read, not an eviction to test.
          tolerations: [{ key: taint.key, operator: "Exists", effect: "NoExecute" }],
          containers: [
            {
              name: "main",
              image: cluster.images.pause,
              resources: { requests: { memory: "64Mi" }, limits: { memory: "64Mi" } },
            },
          ],
        },
      },
    });
  }
  for (const pod of pods) {
    await waitFor(
      `pod ${pod.name} Ready`,
      60_000,
      () => kube.core.readNamespacedPod({ name: pod.name, namespace }),
      podReady,
    );
  }
  runtime = await createKubernetesRuntime(adapterConfig(namespace));
}, 240_000);

afterAll(async () => {
  await runtime?.close();
  for (const pod of pods) {
    await kube.core
      .deleteNamespacedPod({ name: pod.name, namespace, gracePeriodSeconds: 0 })
      .catch(() => undefined);
  }
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  for (const node of [cordoned, tainted]) {
    await kube.core.deleteNode({ name: node }).catch(() => undefined);
  }
});

describe("pressure-svc's policy on the real API server", () => {
  test("a cordon and a NoExecute taint, seen by watch, become decisions to move the pods off; a pod annotated never stays", async () => {
    if (!runtime) throw new Error("no runtime");
    const signals = runtimeSignals(runtime);
    const config = policyConfig({ dryRun: true });
    // Before: no mark on either node, nothing to decide (a new node's not-ready taint, gone a
    // moment after it turned Ready, is a condition, not a cordon).
    const before = observe(noConditions, await signals.snapshot(), config);
    expect(before.active.filter((c) => c.node === cordoned || c.node === tainted)).toEqual([]);

    await kube.core.patchNode({
      name: cordoned,
      body: [{ op: "add", path: "/spec/unschedulable", value: true }],
    });
    await kube.core.patchNode({
      name: tainted,
      body: [{ op: "add", path: "/spec/taints", value: [taint] }],
    });
    // The adapter's node watch sees both marks.
    const snapshot = await waitFor(
      "the cordon and the taint in the runtime's view",
      30_000,
      () => signals.snapshot(),
      (s) =>
        [cordoned, tainted].every((n) => s.nodes.find((node) => node.node === n)?.cordoned) &&
        pods.every((p) => s.workloads.some((w) => w.instance === p.name)),
    );
    const observed = observe(noConditions, snapshot, config);
    const conditions = observed.active.filter((c) => c.node === cordoned || c.node === tainted);
    expect(conditions.map((c) => `${c.node} ${c.kind}`).sort()).toEqual(
      [`${cordoned} cordon`, `${tainted} cordon`].sort(),
    );
    const decisions = conditions.flatMap((condition) =>
      decide({
        condition,
        conditions: observed.active,
        snapshot,
        migrations: [],
        config,
        now: snapshot.at,
        migrationIdFor: (workload) => `mig-${workload}`,
      }),
    );
    for (const d of decisions) console.log(`${d.node} ${d.kind}: ${d.code} ${d.reason}`);
    const moving = decisions.filter((d) => d.migration);
    expect(moving.map((d) => d.migration?.workload).sort()).toEqual(
      [`off-cordon-${run}`, `off-taint-${run}`].sort(),
    );
    // To a real node: Ready and schedulable, neither fake node.
    for (const d of moving) {
      expect(cluster.nodes.map((n) => n.name)).toContain(d.migration?.targetNode);
    }
    // The pod annotated never is passed over, and says why.
    const passedOver = decisions.flatMap((d) => d.passedOver);
    expect(passedOver).toContainEqual({
      workload: `kept-${run}`,
      why: expect.stringContaining("shadow.io/migrate: never"),
    });
    expect(moving.map((d) => d.migration?.workload)).not.toContain(`kept-${run}`);
  });

  test("the installed pressure-svc announces the cordon and its decision on the log", async () => {
    const kafka = new Kafka({
      clientId: "shadow-test-k8s-pressure",
      brokers: inject("kafkaBrokers"),
      logLevel: logLevel.NOTHING,
    });
    // The cordon the test above made (again, should it have stopped before making it).
    await kube.core.patchNode({
      name: cordoned,
      body: [{ op: "add", path: "/spec/unschedulable", value: true }],
    });
    const topic = `shadow.${BUS_NAMESPACE}.pressure.v1`;
    const onNode = await waitFor(
      `pressure-svc's events for ${cordoned} on ${topic}`,
      90_000,
      async () =>
        (await readTopicEvents(kafka, topic)).filter(
          (e) => (e.data as { node?: string }).node === cordoned,
        ),
      (events) =>
        events.some((e) => e.type === NodePressureDetected.type) &&
        events.some((e) => e.type === PressureDecided.type),
    );
    const detected = onNode.find((e) => e.type === NodePressureDetected.type);
    expect(detected?.data).toMatchObject({ node: cordoned, kind: "cordon" });
    const decided = onNode.find((e) => e.type === PressureDecided.type);
    console.log(`installed pressure-svc: ${JSON.stringify(decided?.data)}`);
    expect(decided?.data).toMatchObject({ node: cordoned, kind: "cordon" });
  });
});
