import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import {
  AuthorizationV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PolicyV1Api,
  type V1Deployment,
  type V1Pod,
  type V1Secret,
} from "@kubernetes/client-node";
import { inject } from "vitest";
import { repoRoot } from "../e2e/repo-root.ts";
import type { ClusterInfo } from "../setup/cluster-info.ts";
import { connect, type Kube, podReady, waitFor } from "./kube.ts";

/** What deploy/k8s/overlays/local installs, and where. */
export const OVERLAY = "deploy/k8s/overlays/local";
export const SHADOW_NAMESPACE = "shadow-system";
export const WORKLOADS_NAMESPACE = "workloads";
/** The overlay's bus namespace: its topics are shadow.k8s-local.* (SHADOW_BUS_NAMESPACE). */
export const BUS_NAMESPACE = "k8s-local";
/** The overlay's gateway token (its secretGenerator). */
export const GATEWAY_TOKEN = "shadow-local-k8s";
export const GATEWAY_PORT = 8480;
/** The Secret the base names for the node agents' token (key `token`); the operator makes it. */
export const AGENT_TOKEN_SECRET = "shadow-agent-token";

/** The Deployments of the base, by name; each runs the image shadow.local/<name>:dev. */
export const PARTS = [
  "gateway",
  "admission-svc",
  "checkpoint-svc",
  "image-svc",
  "restore-svc",
  "fence-svc",
  "drain-svc",
  "migration-controller",
  "pressure-svc",
] as const;

/** The node agent: a DaemonSet, one pod per node, image shadow.local/node-agent:dev. */
export const NODE_AGENT = { part: "node-agent", daemonSet: "shadow-node-agent" } as const;
/** Where the overlay's agents listen, at each node's address (its SHADOW_AGENT_PORT). */
export const NODE_AGENT_PORT = 10291;

const run = promisify(execFile);

/** The API clients the install's tests use besides the cluster tests' own. */
export interface ShadowKube extends Kube {
  policy: PolicyV1Api;
  authorization: AuthorizationV1Api;
  custom: CustomObjectsApi;
  events: EventsV1Api;
}

export function shadowKube(kubeconfigPath: string): ShadowKube {
  const kube = connect(kubeconfigPath);
  return {
    ...kube,
    policy: kube.config.makeApiClient(PolicyV1Api),
    authorization: kube.config.makeApiClient(AuthorizationV1Api),
    custom: kube.config.makeApiClient(CustomObjectsApi),
    events: kube.config.makeApiClient(EventsV1Api),
  };
}

/** The cluster's kubectl on its admin kubeconfig, from the repository root. */
export async function kubectl(
  cluster: ClusterInfo,
  args: string[],
): Promise<{ stdout: string; stderr: string }> {
  return run(cluster.tools.kubectl, ["--kubeconfig", cluster.kubeconfig, ...args], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/**
 * What an operator runs: the node agents' token as the Secret the base names (made from the
 * token the cluster's agents accept, as deploy/k8s/overlays/local says), then `kubectl apply -k`
 * of the local overlay. Resolves with kubectl's output of the apply.
 */
export async function applyOverlay(cluster: ClusterInfo): Promise<string> {
  await agentTokenSecret(cluster);
  await webhookCertificate(cluster);
  const { stdout } = await kubectl(cluster, ["apply", "-k", OVERLAY]);
  await injectWebhookCa(cluster);
  return stdout;
}

/** The eviction webhook's Secret: the certificate the cluster's CA issued for it (pki.sh). */
export const WEBHOOK_SECRET = "shadow-webhook-tls";
export const EVICTION_WEBHOOK = "shadow-evictions";

async function webhookCertificate(cluster: ClusterInfo): Promise<void> {
  const pki = dirname(cluster.caFile);
  const kube = connect(cluster.kubeconfig);
  const body = {
    metadata: { name: WEBHOOK_SECRET, namespace: SHADOW_NAMESPACE },
    type: "kubernetes.io/tls",
    stringData: {
      "tls.crt": readFileSync(join(pki, "webhook.crt"), "utf8"),
      "tls.key": readFileSync(join(pki, "webhook.key"), "utf8"),
    },
  };
  await putSecret(kube, body);
}

/** What cert-manager's CA injector does on a real install: the webhook trusts the cluster's CA. */
async function injectWebhookCa(cluster: ClusterInfo): Promise<void> {
  const ca = readFileSync(cluster.caFile).toString("base64");
  await kubectl(cluster, [
    "patch",
    "validatingwebhookconfiguration",
    EVICTION_WEBHOOK,
    "--type=json",
    "-p",
    JSON.stringify([{ op: "add", path: "/webhooks/0/clientConfig/caBundle", value: ca }]),
  ]);
}

async function agentTokenSecret(cluster: ClusterInfo): Promise<void> {
  const agents = inject("agents");
  if (!agents)
    throw new Error("no cluster agents provided: run this file in the kubernetes project");
  const kube = connect(cluster.kubeconfig);
  await kube.core
    .createNamespace({ body: { metadata: { name: SHADOW_NAMESPACE } } })
    .catch(alreadyThere);
  const body = {
    metadata: { name: AGENT_TOKEN_SECRET, namespace: SHADOW_NAMESPACE },
    stringData: { token: readFileSync(agents.tokenFile, "utf8").trim() },
  };
  await putSecret(kube, body);
}

/** Creates the Secret in shadow-system, or replaces what is there under its name. */
async function putSecret(kube: Kube, body: V1Secret & { metadata: { name: string } }) {
  await kube.core
    .createNamespacedSecret({ namespace: SHADOW_NAMESPACE, body })
    .catch(alreadyThere)
    .then(() =>
      kube.core.replaceNamespacedSecret({
        name: body.metadata.name,
        namespace: SHADOW_NAMESPACE,
        body,
      }),
    );
}

function alreadyThere(error: { code?: number }): void {
  if (error.code !== 409) throw error;
}

export interface BuiltImages {
  images: { name: string; ref: string; digest: string; configDigest: string; bytes: number }[];
  skipped: string[];
}

/** The images deploy/cluster built and imported into the nodes (deploy/images' images.json). */
export function builtImages(cluster: ClusterInfo): BuiltImages {
  return JSON.parse(readFileSync(cluster.images.shadow, "utf8")) as BuiltImages;
}

/**
 * Waits until every Deployment of shadow-system has all its replicas Ready and up to date, and
 * no other pod is left (a rollout's old pods gone); resolves with the pods.
 */
export async function shadowReady(kube: Kube, timeoutMs = 240_000): Promise<V1Pod[]> {
  const { items } = await waitFor(
    "every Deployment of shadow-system ready",
    timeoutMs,
    () => kube.apps.listNamespacedDeployment({ namespace: SHADOW_NAMESPACE }),
    (list) => list.items.length >= PARTS.length && list.items.every(deploymentReady),
  );
  const expected = items.reduce((n, d) => n + (d.spec?.replicas ?? 1), 0);
  const pods = await waitFor(
    "shadow-system's Deployments' pods all Ready, no old ones left",
    timeoutMs,
    async () =>
      (await kube.core.listNamespacedPod({ namespace: SHADOW_NAMESPACE })).items.filter(
        (p) => partOf(p) !== NODE_AGENT.part,
      ),
    (list) =>
      list.length === expected && list.every((p) => podReady(p) && !p.metadata?.deletionTimestamp),
  );
  return pods;
}

/**
 * Waits until the node agent runs one Ready pod on each of `nodes`, from the image built from
 * this tree (`image` = its config digest), none being replaced; resolves with those pods.
 */
export async function nodeAgentsReady(
  kube: Kube,
  nodes: readonly string[],
  image: string | undefined,
  timeoutMs = 240_000,
): Promise<V1Pod[]> {
  const pods = await waitFor(
    `a Ready node agent on ${nodes.join(" and ")}, from this tree's image`,
    timeoutMs,
    async () =>
      (
        await kube.core.listNamespacedPod({
          namespace: SHADOW_NAMESPACE,
          labelSelector: `app.kubernetes.io/name=${NODE_AGENT.part}`,
        })
      ).items,
    (list) =>
      nodes.every((node) => {
        const on = list.filter((p) => p.spec?.nodeName === node);
        return (
          on.length === 1 &&
          on.every(
            (p) =>
              podReady(p) &&
              !p.metadata?.deletionTimestamp &&
              (!image || p.status?.containerStatuses?.[0]?.imageID === image),
          )
        );
      }),
  );
  return pods.filter((p) => nodes.includes(p.spec?.nodeName ?? ""));
}

function deploymentReady(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status;
  return (
    (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    s?.updatedReplicas === want &&
    s?.readyReplicas === want &&
    (s?.replicas ?? 0) === want
  );
}

/** The part a pod belongs to (its app.kubernetes.io/name label). */
export function partOf(pod: V1Pod): string {
  return pod.metadata?.labels?.["app.kubernetes.io/name"] ?? "";
}

/**
 * The gateway's base URL: its pod's address (the host reaches pods; there is no kube-proxy
 * here for its Service).
 */
export async function gatewayUrl(kube: Kube): Promise<string> {
  const pods = await kube.core.listNamespacedPod({
    namespace: SHADOW_NAMESPACE,
    labelSelector: "app.kubernetes.io/name=gateway",
  });
  const pod = pods.items.find((p) => podReady(p) && !p.metadata?.deletionTimestamp);
  if (!pod?.status?.podIP) throw new Error("no Ready gateway pod");
  return `http://${pod.status.podIP}:${GATEWAY_PORT}`;
}

/**
 * Applies the overlay and waits until `parts` (default: all) run Ready from the images built
 * from this tree; a part whose pods run an older build of the same tag is restarted. Resolves
 * with those parts' pods. For test files that use shadow rather than test its install.
 */
export async function ensureShadow(
  cluster: ClusterInfo,
  kube: Kube,
  parts: readonly string[] = PARTS,
  timeoutMs = 240_000,
): Promise<V1Pod[]> {
  await applyOverlay(cluster);
  const built = new Map(builtImages(cluster).images.map((i) => [i.name, i.configDigest]));
  const pods = (await kube.core.listNamespacedPod({ namespace: SHADOW_NAMESPACE })).items;
  const stale = new Set(
    pods
      .filter((p) => {
        const want = built.get(partOf(p));
        const have = p.status?.containerStatuses?.[0]?.imageID;
        return parts.includes(partOf(p)) && want && have && have !== want;
      })
      .map(partOf),
  );
  for (const part of stale) {
    await kubectl(cluster, ["-n", SHADOW_NAMESPACE, "rollout", "restart", `deployment/${part}`]);
  }
  const agentImage = built.get(NODE_AGENT.part);
  const staleAgents = pods.some(
    (p) =>
      partOf(p) === NODE_AGENT.part &&
      p.status?.containerStatuses?.[0]?.imageID &&
      p.status.containerStatuses[0].imageID !== agentImage,
  );
  if (staleAgents) {
    await kubectl(cluster, [
      "-n",
      SHADOW_NAMESPACE,
      "rollout",
      "restart",
      `daemonset/${NODE_AGENT.daemonSet}`,
    ]);
  }
  await nodeAgentsReady(
    kube,
    cluster.nodes.map((n) => n.name),
    agentImage,
    timeoutMs,
  );
  return waitFor(
    `${parts.join(", ")} Ready from this tree's images`,
    timeoutMs,
    async () => (await kube.core.listNamespacedPod({ namespace: SHADOW_NAMESPACE })).items,
    (list) =>
      parts.every((part) => {
        const mine = list.filter((p) => partOf(p) === part && !p.metadata?.deletionTimestamp);
        return (
          mine.length > 0 &&
          mine.every(
            (p) => podReady(p) && p.status?.containerStatuses?.[0]?.imageID === built.get(part),
          )
        );
      }),
  ).then((list) => list.filter((p) => parts.includes(partOf(p))));
}
