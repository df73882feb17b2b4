import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { totalmem } from "node:os";
import type { CheckpointImage, InstanceInfo, WorkloadSpec } from "@shadow/runtime";
import { CrioAnnotation, CriuAnnotation, inspectImage } from "@shadow/runtime/image";
import { createKubernetesRuntime, type KubernetesRuntime } from "@shadow/runtime/kubernetes";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { createTopic, deleteTopic } from "../setup/kafka.ts";
import { adapterConfig, providedCluster } from "./adapter-env.ts";
import { connect, waitFor } from "./kube.ts";

// The kubernetes adapter of the runtime port against the local cluster: pods of the example
// workload, the kubelet's checkpoint turned into an encrypted checkpoint image by the node's
// agent, and a restore into a pod sandbox on the other node.

const { cluster } = providedCluster();
const kube = connect(cluster.kubeconfig);
const run = randomBytes(3).toString("hex");
const namespace = `adapter-test-${run}`;
const [nodeA, nodeB] = cluster.nodes;
if (!nodeA || !nodeB) throw new Error("the cluster reports fewer than two real nodes");
const topics = {
  input: `shadow.k8s-adapter.${run}.input`,
  output: `shadow.k8s-adapter.${run}.output`,
};
let runtime: KubernetesRuntime;

const spec = (): WorkloadSpec => ({
  entry: "example-service.js",
  httpPort: 8080,
  memoryBytes: 256 * 2 ** 20,
  env: {
    SHADOW_KAFKA_BROKERS: inject("kafkaNodeBrokers").join(","),
    SHADOW_INPUT_TOPICS: topics.input,
    SHADOW_OUTPUT_TOPIC: topics.output,
    SHADOW_COST_MS: "1",
  },
});

interface Status {
  identity: {
    workload: string;
    instance: string;
    node: string;
    role: string;
    incarnation: number;
  } | null;
  inputReady: boolean;
  startedAt: string;
}

async function status(instance: InstanceInfo): Promise<Status> {
  const res = await fetch(`http://${instance.endpoint}/status`, {
    signal: AbortSignal.timeout(2000),
  });
  return (await res.json()) as Status;
}

beforeAll(async () => {
  await createTopic(topics.input, 2);
  await createTopic(topics.output, 2);
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  await waitFor(
    "the namespace's service account",
    30_000,
    () => kube.core.readNamespacedServiceAccount({ name: "default", namespace }),
    () => true,
  );
  runtime = await createKubernetesRuntime(adapterConfig(namespace));
});

afterAll(async () => {
  await runtime?.close();
  await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await deleteTopic(topics.input).catch(() => undefined);
  await deleteTopic(topics.output).catch(() => undefined);
});

describe("the kubernetes adapter", () => {
  test("lists the real nodes Ready with the memory their kubelets report in use, and a tainted fake node as cordoned", async () => {
    const fake = `kwok-adapter-${run}`;
    const [annotation, value] = Object.entries(cluster.fakeNodeAnnotation)[0] as [string, string];
    await kube.core.createNode({
      body: {
        metadata: { name: fake, annotations: { [annotation]: value } },
        spec: { taints: [{ key: annotation, value, effect: "NoSchedule" }] },
      },
    });
    try {
      const nodes = await waitFor(
        "the fake node listed Ready",
        30_000,
        () => runtime.nodes(),
        (ns) => ns.some((n) => n.name === fake && n.ready),
      );
      for (const real of [nodeA, nodeB]) {
        const node = nodes.find((n) => n.name === real.name);
        expect(node).toMatchObject({
          name: real.name,
          address: real.ip,
          ready: true,
          pressure: { cordoned: false },
        });
        expect(node?.capacity.instances).toBeGreaterThan(0);
        expect(node?.capacity.memoryBytes).toBeGreaterThan(0);
        // Memory in use from the kubelet's summary API: its working set against the node's
        // memory (working set + available), which is the machine's.
        const usage = node?.pressure.memoryUsage;
        expect(usage?.usedBytes).toBeGreaterThan(0);
        expect(usage?.limitBytes).toBeGreaterThan(usage?.usedBytes ?? 0);
        expect(Math.abs((usage?.limitBytes ?? 0) / totalmem() - 1)).toBeLessThan(0.05);
        console.log(
          `${real.name}: working set ${((usage?.usedBytes ?? 0) / 2 ** 30).toFixed(2)} of ${((usage?.limitBytes ?? 0) / 2 ** 30).toFixed(2)} GiB; memory PSI ${node?.pressure.memoryPsi ? JSON.stringify(node.pressure.memoryPsi) : "not reported by this kubelet"}`,
        );
      }
      const fakeNode = nodes.find((n) => n.name === fake);
      expect(fakeNode?.pressure.cordoned).toBe(true);
      // kwok's nodes have no kubelet to ask.
      expect(fakeNode?.pressure.memoryUsage).toBeUndefined();
    } finally {
      await kube.core.deleteNode({ name: fake }).catch(() => undefined);
    }
  });

  test("runs the example workload as a pod with its identity, lists it, and removes it", async () => {
    const identity = {
      workload: "solo-0",
      instance: "solo-0",
      node: nodeA.name,
      role: "primary" as const,
      incarnation: 0,
    };
    const info = await runtime.run(spec(), identity);
    expect(info).toMatchObject({
      instance: "solo-0",
      workload: "solo-0",
      node: nodeA.name,
      state: "running",
    });
    expect(info.endpoint).toMatch(/^10\.246\.1\.\d+:8080$/);
    const ready = await waitFor(
      "the workload consuming",
      60_000,
      () => status(info),
      (s) => s.inputReady,
    );
    expect(ready.identity).toMatchObject(identity);
    expect((await runtime.list()).map((i) => i.instance)).toContain("solo-0");
    expect((await runtime.inspect("solo-0"))?.identity).toEqual(identity);

    await runtime.remove("solo-0");
    expect(await runtime.inspect("solo-0")).toBeUndefined();
    const pods = await kube.core.listNamespacedPod({ namespace });
    expect(pods.items.map((p) => p.metadata?.name)).not.toContain("solo-0");
  });

  test("checkpoints through the kubelet, images on the node, restores into a pod on the other node", async () => {
    const migrationId = `adapter-${run}`;
    const source = await runtime.run(spec(), {
      workload: "orders-0",
      instance: "orders-0",
      node: nodeA.name,
      role: "primary",
      incarnation: 0,
    });
    const before = await waitFor(
      "the source consuming",
      60_000,
      () => status(source),
      (s) => s.inputReady,
    );

    const checkpoint = await runtime.checkpoint("orders-0", { leaveRunning: true, migrationId });
    expect(checkpoint).toMatchObject({ instance: "orders-0", node: nodeA.name, leftRunning: true });
    expect(checkpoint.pauseMs).toBeGreaterThan(0);
    expect(checkpoint.sizeBytes).toBeGreaterThan(1_000_000);
    // The kubelet's archive holds the process's memory: the agent took it over and deleted it.
    // (The kubelet names it checkpoint-<pod>_<namespace>-<container>-<time>.tar; the
    // namespace is this run's, so an archive another run left there is not counted.)
    expect(
      readdirSync(nodeA.checkpointDir).filter((f) =>
        f.startsWith(`checkpoint-orders-0_${namespace}-`),
      ),
    ).toEqual([]);

    const image: CheckpointImage = await runtime.buildImage(checkpoint, nodeB.name);
    expect(image).toMatchObject({ encrypted: true, transfer: "registry" });
    const { manifest } = await inspectImage(image.ref, { digest: image.digest });
    expect(manifest.annotations?.[CrioAnnotation.name]).toBe("orders-0");
    expect(manifest.annotations?.[CriuAnnotation.containerName]).toBe("orders-0");
    expect(manifest.annotations?.[CriuAnnotation.podNamespace]).toBe(namespace);
    expect(manifest.annotations?.[CriuAnnotation.rootfsImageName]).toBe(cluster.images.workload);
    // The dump itself is gone from the source node once imaged.
    const agentA = runtime.ctx.agent(nodeA.name);
    // (Only this migration's: a run that failed before this point left its own.)
    expect(
      (await agentA.state()).files.filter((f) => f.includes("/dumps/") && f.includes(migrationId)),
    ).toEqual([]);

    const restored = await runtime.restore(image, nodeB.name, {
      migrationId,
      identity: {
        workload: "orders-0",
        instance: "orders-0-shadow",
        node: nodeB.name,
        role: "shadow",
        incarnation: 0,
      },
    });
    expect(restored).toMatchObject({
      instance: "orders-0-shadow",
      node: nodeB.name,
      state: "running",
    });
    expect(restored.endpoint).toMatch(/^10\.246\.2\.\d+:8080$/);
    // The copy is the source's process (same start), with an identity of its own.
    const copy = await waitFor(
      "the copy answering",
      30_000,
      () => status(restored),
      (s) => s.identity?.instance === "orders-0-shadow",
    );
    expect(copy.startedAt).toBe(before.startedAt);
    expect(copy.identity).toMatchObject({
      node: nodeB.name,
      role: "shadow",
      incarnation: 1,
      migrationId,
    });
    // The placeholder's readiness probe reaches the restored process: the pod is Ready.
    await waitFor(
      "the restored pod Ready",
      30_000,
      () => kube.core.readNamespacedPod({ name: "orders-0-shadow", namespace }),
      (p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    );
    // The source serves on.
    expect((await status(source)).identity?.instance).toBe("orders-0");

    // Deleting the pod ends the restored process and the agent's state of it.
    const agentB = runtime.ctx.agent(nodeB.name);
    expect((await agentB.state()).containers.map((c) => c.pod.name)).toContain("orders-0-shadow");
    await runtime.remove("orders-0-shadow");
    await waitFor(
      "the agent to drop the restored process",
      30_000,
      () => agentB.state(),
      (s) => !s.containers.some((c) => c.pod.name === "orders-0-shadow"),
    );
    await runtime.release(migrationId);
    expect((await agentB.state()).files.filter((f) => f.includes(migrationId))).toEqual([]);
    expect((await agentA.state()).files.filter((f) => f.includes(migrationId))).toEqual([]);
    await runtime.remove("orders-0");
    expect(existsSync(nodeA.checkpointDir)).toBe(true);
  });
});
