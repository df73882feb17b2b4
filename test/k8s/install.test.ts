import { beforeAll, describe, expect, inject, test } from "vitest";
import { waitFor } from "./kube.ts";
import {
  applyOverlay,
  builtImages,
  GATEWAY_TOKEN,
  gatewayUrl,
  kubectl,
  NODE_AGENT,
  NODE_AGENT_PORT,
  nodeAgentsReady,
  OVERLAY,
  PARTS,
  partOf,
  SHADOW_NAMESPACE,
  shadowKube,
  shadowReady,
} from "./shadow-install.ts";

// shadow installed the way an operator installs it: `kubectl apply -k` of the local overlay on a
// cluster where it is not, then every part Ready, from the images this tree builds.

const cluster = providedCluster();
const kube = shadowKube(cluster.kubeconfig);

/** The token the node agents accept (the Secret the overlay's install made). */
async function agentToken(): Promise<{ token: string }> {
  const secret = await kube.core.readNamespacedSecret({
    name: "shadow-agent-token",
    namespace: SHADOW_NAMESPACE,
  });
  return { token: Buffer.from(secret.data?.token ?? "", "base64").toString("utf8") };
}

function providedCluster() {
  const info = inject("cluster");
  if (!info) throw new Error("no cluster provided: run this file in the kubernetes project");
  return info;
}

beforeAll(async () => {
  // From nothing: the namespace and everything in it gone (the CRD and cluster roles stay; apply
  // takes them as they are).
  await kube.core.deleteNamespace({ name: SHADOW_NAMESPACE }).catch(() => undefined);
  await waitFor(
    `namespace ${SHADOW_NAMESPACE} gone`,
    180_000,
    async () => (await kube.core.listNamespace()).items.map((n) => n.metadata?.name),
    (names) => !names.includes(SHADOW_NAMESPACE),
  );
});

/**
 * Every object the overlay installs, as the API server holds it: its generation where it has
 * one (status changes leave that alone), else its resourceVersion.
 */
async function installed(): Promise<Record<string, string>> {
  const { stdout } = await kubectl(cluster, ["get", "-k", OVERLAY, "-o", "json"]);
  const list = JSON.parse(stdout) as {
    items: {
      kind: string;
      metadata: { name: string; namespace?: string; generation?: number; resourceVersion: string };
    }[];
  };
  return Object.fromEntries(
    list.items.map(({ kind, metadata: m }) => [
      `${kind}/${m.namespace ?? ""}/${m.name}`,
      m.generation === undefined ? `rv ${m.resourceVersion}` : `generation ${m.generation}`,
    ]),
  );
}

describe("kubectl apply -k deploy/k8s/overlays/local", () => {
  test("brings shadow up: every part's pod Ready, each from the image built from this tree", async () => {
    const started = Date.now();
    const output = await applyOverlay(cluster);
    for (const part of PARTS) expect(output).toContain(`deployment.apps/${part} created`);
    expect(output).toContain(`daemonset.apps/${NODE_AGENT.daemonSet} created`);
    expect(output).toContain("customresourcedefinition.apiextensions.k8s.io/migrations.shadow.io");
    const pods = await shadowReady(kube);
    console.log(`shadow Ready ${((Date.now() - started) / 1000).toFixed(1)} s after kubectl apply`);

    expect(pods.map(partOf).sort()).toEqual([...PARTS].sort());
    const built = new Map(builtImages(cluster).images.map((i) => [i.name, i]));
    for (const pod of pods) {
      const part = partOf(pod);
      const status = pod.status?.containerStatuses?.[0];
      expect(status?.image).toBe(`shadow.local/${part}:dev`);
      // The image id is the image config's digest: the pod runs exactly what was built.
      expect(status?.imageID, part).toBe(built.get(part)?.configDigest);
      expect(status?.restartCount, `${part} restarts`).toBe(0);
    }
    const agents = await nodeAgentsReady(
      kube,
      cluster.nodes.map((n) => n.name),
      built.get(NODE_AGENT.part)?.configDigest,
    );
    expect(agents.map((p) => p.status?.containerStatuses?.[0]?.restartCount)).toEqual([0, 0]);
  }, 300_000);

  test("the node agent runs on each node in the node's namespaces, answering its API at the node's address to the token only", async () => {
    const { token } = await agentToken();
    for (const node of cluster.nodes) {
      const [pod] = (
        await kube.core.listNamespacedPod({
          namespace: SHADOW_NAMESPACE,
          labelSelector: `app.kubernetes.io/name=${NODE_AGENT.part}`,
          fieldSelector: `spec.nodeName=${node.name}`,
        })
      ).items;
      expect(pod?.spec?.hostNetwork).toBe(true);
      expect(pod?.spec?.hostPID).toBe(true);
      expect(pod?.spec?.containers[0]?.securityContext?.privileged).toBe(true);
      expect(pod?.status?.podIP).toBe(node.ip);
      const base = `http://${node.ip}:${NODE_AGENT_PORT}`;
      // It serves its own node (the name its node's settings and the pod agree on).
      const health = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(await health.json()).toEqual({ node: node.name, ok: true });
      const refused = await fetch(`${base}/v1/state`, { signal: AbortSignal.timeout(5000) });
      expect(refused.status).toBe(401);
      const state = await fetch(`${base}/v1/state`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5000),
      });
      expect(state.status).toBe(200);
    }
  });

  test("each part runs unprivileged as its own ServiceAccount, with probes, requests and a disruption budget", async () => {
    const deployments = (await kube.apps.listNamespacedDeployment({ namespace: SHADOW_NAMESPACE }))
      .items;
    const budgets = await kube.policy.listNamespacedPodDisruptionBudget({
      namespace: SHADOW_NAMESPACE,
    });
    for (const d of deployments) {
      const name = d.metadata?.name ?? "";
      const pod = d.spec?.template.spec;
      const container = pod?.containers[0];
      expect(pod?.serviceAccountName, name).toBe(`shadow-${name}`);
      expect(pod?.securityContext?.runAsNonRoot, name).toBe(true);
      expect(container?.securityContext?.allowPrivilegeEscalation, name).toBe(false);
      expect(container?.securityContext?.readOnlyRootFilesystem, name).toBe(true);
      expect(container?.readinessProbe?.httpGet?.path, name).toBe("/ready");
      expect(container?.livenessProbe?.httpGet?.path, name).toBe("/health");
      expect(container?.resources?.requests?.cpu, name).toBeDefined();
      expect(container?.resources?.requests?.memory, name).toBeDefined();
      expect(
        budgets.items.some(
          (b) => b.spec?.selector?.matchLabels?.["app.kubernetes.io/name"] === name,
        ),
        `${name} has a PodDisruptionBudget`,
      ).toBe(true);
    }
    // fence-svc speaks only Kafka: no API token is mounted into it at all.
    const fence = deployments.find((d) => d.metadata?.name === "fence-svc");
    expect(fence?.spec?.template.spec?.automountServiceAccountToken).toBe(false);
  });

  test("the gateway serves its API on its pod's address, to the token from its Secret only", async () => {
    const url = await gatewayUrl(kube);
    const refused = await fetch(`${url}/migrations`, { signal: AbortSignal.timeout(5000) });
    expect(refused.status).toBe(401);
    const listed = await fetch(`${url}/migrations`, {
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}` },
      signal: AbortSignal.timeout(5000),
    });
    expect(listed.status).toBe(200);
    expect(Array.isArray(((await listed.json()) as { migrations: unknown }).migrations)).toBe(true);
  });

  test("applied again, it changes nothing", async () => {
    const before = await installed();
    const output = await applyOverlay(cluster);
    expect(output).not.toMatch(/\bcreated\b/);
    // kubectl says "configured" of PodDisruptionBudgets and the admission policy on every apply
    // (a patch that changes nothing); what counts is that no object's spec moved.
    expect(await installed()).toEqual(before);
  });
});
