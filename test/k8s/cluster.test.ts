import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { promisify } from "node:util";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { nodeProxy } from "@shadow/runtime/kubernetes";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { createTopic, deleteTopic } from "../setup/kafka.ts";
import { connect, internalIp, nodeReady, podReady, waitFor } from "./kube.ts";
import {
  identityConfigMap,
  WORKLOAD_CONTAINER,
  type WorkloadSettings,
  workloadAnnotations,
  workloadPodSpec,
  workloadStatefulSet,
  workloadUrl,
} from "./workload-pod.ts";

// The local Kubernetes cluster itself (deploy/cluster): real nodes, the controllers, the
// checkpoint path through the API server, kwok. Every later Kubernetes test stands on these.

const cluster = providedCluster();
const kube = connect(cluster.kubeconfig);
const run = randomBytes(3).toString("hex");
const namespace = `cluster-test-${run}`;
const [nodeA, nodeB] = cluster.nodes;
if (!nodeA || !nodeB) throw new Error("the cluster reports fewer than two real nodes");

const settings: WorkloadSettings = {
  cluster,
  brokers: inject("kafkaNodeBrokers"),
  inputTopic: `shadow.k8s-test.${run}.input`,
  outputTopic: `shadow.k8s-test.${run}.output`,
};
const checkpointArchives: string[] = [];

beforeAll(async () => {
  expect(settings.brokers, "Kafka's listener for containers").not.toHaveLength(0);
  await createTopic(settings.inputTopic, 2);
  await createTopic(settings.outputTopic, 2);
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  // Pods are refused until the namespace has its service account (the controller manager's).
  await waitFor(
    "the namespace's default service account",
    30_000,
    () => kube.core.readNamespacedServiceAccount({ name: "default", namespace }),
    () => true,
  );
});

afterAll(async () => {
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  for (const archive of checkpointArchives) rmSync(archive, { force: true });
  await deleteTopic(settings.inputTopic).catch(() => undefined);
  await deleteTopic(settings.outputTopic).catch(() => undefined);
});

function providedCluster() {
  const info = inject("cluster");
  if (!info) throw new Error("no cluster provided: run this file in the kubernetes project");
  return info;
}

async function runWorkloadPod(name: string, node: string): Promise<V1Pod> {
  await kube.core.createNamespacedConfigMap({ namespace, body: identityConfigMap(name, node) });
  await kube.core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, annotations: workloadAnnotations(cluster) },
      spec: { ...workloadPodSpec(name, settings), nodeName: node },
    },
  });
  return waitFor(
    `pod ${name} Ready on ${node}`,
    90_000,
    () => kube.core.readNamespacedPod({ name, namespace }),
    podReady,
  );
}

interface StatusView {
  identity: { node: string; instance: string } | null;
  inputReady: boolean;
  startedAt: string;
}

/** The example service's own status, over the pod network from the host. */
async function workloadStatus(pod: V1Pod): Promise<StatusView> {
  const res = await fetch(workloadUrl(pod.status?.podIP ?? "", "/status"), {
    signal: AbortSignal.timeout(2000),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as StatusView;
}

/** 10.246.1.0/24 → "10.246.1.": enough to tell which node's range an address is from. */
function rangePrefix(cidr: string): string {
  return cidr.replace(/0\/24$/, "");
}

describe("the local Kubernetes cluster", () => {
  test("both real nodes are Ready, at their own addresses, on the built version", async () => {
    const nodes = (await kube.core.listNode()).items;
    for (const expected of [nodeA, nodeB]) {
      const node = nodes.find((n: V1Node) => n.metadata?.name === expected.name);
      expect(node, `node ${expected.name}`).toBeDefined();
      expect(nodeReady(node as V1Node)).toBe(true);
      expect(internalIp(node as V1Node)).toBe(expected.ip);
      expect(node?.status?.nodeInfo?.kubeletVersion).toBe(cluster.kubernetesVersion);
      expect(node?.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/2\.4\./);
    }
  });

  test("a pod of the example workload image runs Ready on each node, and reaches Kafka", async () => {
    for (const node of [nodeA, nodeB]) {
      const pod = await runWorkloadPod(`workload-${node.name}`, node.name);
      expect(pod.spec?.nodeName).toBe(node.name);
      expect(pod.status?.podIP).toMatch(new RegExp(`^${rangePrefix(node.podCidr)}`));
      // The service read its identity from the mounted file and joined its Kafka group.
      const status = await waitFor(
        `the workload on ${node.name} consuming`,
        60_000,
        () => workloadStatus(pod),
        (s) => s.inputReady,
      );
      expect(status.identity?.node).toBe(node.name);
    }
  });

  test("a StatefulSet of one replica becomes Ready, and its pod goes with it", async () => {
    const name = `sts-${run}`;
    await kube.core.createNamespacedConfigMap({
      namespace,
      body: identityConfigMap(name, nodeB.name),
    });
    await kube.apps.createNamespacedStatefulSet({
      namespace,
      body: workloadStatefulSet(name, nodeB.name, settings),
    });
    const set = await waitFor(
      `StatefulSet ${name} ready`,
      90_000,
      () => kube.apps.readNamespacedStatefulSet({ name, namespace }),
      (s) => s.status?.readyReplicas === 1,
    );
    expect(set.status?.replicas).toBe(1);
    const pod = await kube.core.readNamespacedPod({ name: `${name}-0`, namespace });
    expect(pod.spec?.nodeName).toBe(nodeB.name);
    const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
    expect(owner).toMatchObject({ kind: "StatefulSet", name, uid: set.metadata?.uid });

    // The garbage collector removes the pod its owner left behind.
    await kube.apps.deleteNamespacedStatefulSet({
      name,
      namespace,
      body: { propagationPolicy: "Background" },
    });
    await waitFor(
      `pod ${name}-0 collected`,
      60_000,
      async () => (await kube.core.listNamespacedPod({ namespace })).items,
      (pods) => !pods.some((p) => p.metadata?.name === `${name}-0`),
    );
  });

  test("a checkpoint through the API server leaves an archive on the node and the container running", async () => {
    const name = `workload-${nodeA.name}`;
    const before = await kube.core.readNamespacedPod({ name, namespace });
    const statusBefore = await workloadStatus(before);

    const res = await nodeProxy(kube.config, {
      method: "POST",
      node: nodeA.name,
      path: ["checkpoint", namespace, name, WORKLOAD_CONTAINER],
      query: "timeout=60",
      timeoutMs: 90_000,
    });
    expect(res.status, res.body).toBe(200);
    const items = (JSON.parse(res.body) as { items: string[] }).items;
    expect(items).toHaveLength(1);
    const archive = items[0] as string;
    checkpointArchives.push(archive);
    expect(archive.startsWith(`${nodeA.checkpointDir}/`)).toBe(true);
    expect(existsSync(archive)).toBe(true);
    const { stdout } = await promisify(execFile)("tar", ["-tf", archive], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const entries = stdout.split("\n");
    expect(entries.some((e) => e.startsWith("checkpoint/") && e.endsWith(".img"))).toBe(true);
    expect(entries).toContain("spec.dump");

    // Still the same process: same start time, no restart, Ready, answering.
    const after = await kube.core.readNamespacedPod({ name, namespace });
    const container = after.status?.containerStatuses?.find((c) => c.name === WORKLOAD_CONTAINER);
    expect(container?.restartCount).toBe(0);
    expect(container?.state?.running).toBeDefined();
    expect(podReady(after)).toBe(true);
    const statusAfter = await workloadStatus(after);
    expect(statusAfter.startedAt).toBe(statusBefore.startedAt);
    expect(statusAfter.inputReady).toBe(true);
  });

  test("a kwok fake node becomes Ready, and so does a pod bound to it", async () => {
    const name = `kwok-${run}`;
    const [annotation, value] = Object.entries(cluster.fakeNodeAnnotation)[0] as [string, string];
    await kube.core.createNode({
      body: {
        metadata: { name, annotations: { [annotation]: value }, labels: { type: "kwok" } },
        // Real workloads stay off fake nodes: only pods that tolerate the taint go there.
        spec: { taints: [{ key: annotation, value, effect: "NoSchedule" }] },
      },
    });
    try {
      const node = await waitFor(
        `fake node ${name} Ready`,
        30_000,
        () => kube.core.readNode({ name }),
        nodeReady,
      );
      expect(node.metadata?.annotations?.[annotation]).toBe(value);
      await kube.core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: `on-${name}` },
          spec: {
            nodeName: name,
            tolerations: [{ key: annotation, operator: "Exists", effect: "NoSchedule" }],
            containers: [{ name: "fake", image: cluster.images.workload }],
          },
        },
      });
      const pod = await waitFor(
        `pod on ${name} Ready`,
        30_000,
        () => kube.core.readNamespacedPod({ name: `on-${name}`, namespace }),
        podReady,
      );
      expect(pod.status?.podIP).toBeTruthy();
    } finally {
      // No kubelet confirms a fake pod's end: deleted at once, or it waits for the pod GC.
      await kube.core
        .deleteNamespacedPod({ name: `on-${name}`, namespace, gracePeriodSeconds: 0 })
        .catch(() => undefined);
      await kube.core.deleteNode({ name }).catch(() => undefined);
    }
  });
});
