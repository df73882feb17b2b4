import type { V1Pod } from "@kubernetes/client-node";
import type { Identity, InstanceInfo, WorkloadSpec } from "@shadow/runtime";
import { type KubernetesRuntime, toInstanceInfo, workloadPod } from "@shadow/runtime/kubernetes";
import { waitFor } from "./scenario.ts";

/** How a scenario puts its workload on the runtime, and takes it away again. */
export interface WorkloadDeployer {
  deploy(spec: WorkloadSpec, identity: Identity): Promise<InstanceInfo>;
  /** Removes the workload's controller (and with it its pods), if it has one. */
  teardown(workload: string): Promise<void>;
}

export type KubernetesWorkloadKind = "pod" | "deployment" | "statefulset";

/**
 * The example workload on Kubernetes as a bare pod (the adapter's `run`), as the one pod of a
 * Deployment, or as ordinal 0 of a StatefulSet (`orders-0` is ordinal 0 of the set `orders`,
 * so an identity swap gives that name back). Its template is the pod `run` makes: the identity
 * file from the pod's annotation, pinned to the source node.
 */
export function kubernetesDeployer(
  runtime: KubernetesRuntime,
  kind: KubernetesWorkloadKind,
): WorkloadDeployer {
  const { kube, namespace } = runtime.ctx;
  const waitForPod = (what: string, match: (p: V1Pod) => boolean) =>
    runtime.ctx.pods.waitFor(what, runtime.ctx.config.waitMs, () => {
      const pod = runtime.ctx.pods
        .list(namespace)
        .find((p) => match(p) && toInstanceInfo(p)?.state === "running");
      return pod?.status?.podIP ? (toInstanceInfo(pod) as InstanceInfo) : undefined;
    });
  return {
    async deploy(spec, identity) {
      if (kind === "pod") return runtime.run(spec, identity);
      const pod = workloadPod(runtime.ctx.config, spec, identity);
      const labels = { ...pod.metadata?.labels, app: identity.workload };
      const template = {
        metadata: { labels, annotations: pod.metadata?.annotations ?? {} },
        spec: pod.spec,
      };
      if (kind === "deployment") {
        await kube.apps.createNamespacedDeployment({
          namespace,
          body: {
            metadata: { name: identity.workload, labels },
            spec: { replicas: 1, selector: { matchLabels: { app: identity.workload } }, template },
          },
        });
        const pod = await waitForPod(
          `Deployment ${identity.workload}'s pod running`,
          (p) => p.metadata?.labels?.app === identity.workload,
        );
        return ownIdentity(runtime, pod, identity);
      }
      const set = setNameOf(identity.workload);
      const setLabels = { ...labels, app: set };
      await kube.apps.createNamespacedStatefulSet({
        namespace,
        body: {
          metadata: { name: set, labels: setLabels },
          spec: {
            replicas: 1,
            serviceName: set,
            selector: { matchLabels: { app: set } },
            template: { ...template, metadata: { ...template.metadata, labels: setLabels } },
          },
        },
      });
      return waitForPod(
        `StatefulSet ${set}'s ordinal ${identity.workload} running`,
        (p) => p.metadata?.name === identity.workload,
      );
    },
    async teardown(workload) {
      if (kind === "pod") return;
      const body = { propagationPolicy: "Foreground" };
      if (kind === "deployment") {
        await kube.apps
          .deleteNamespacedDeployment({ name: workload, namespace, body })
          .catch(() => undefined);
      } else {
        await kube.apps
          .deleteNamespacedStatefulSet({ name: setNameOf(workload), namespace, body })
          .catch(() => undefined);
      }
      await runtime.ctx.pods
        .waitFor(`the pods of ${workload} gone`, 120_000, () =>
          runtime.ctx.pods.list(namespace).some((p) => toInstanceInfo(p)?.workload === workload)
            ? undefined
            : true,
        )
        .catch(() => undefined);
    },
  };
}

/**
 * A Deployment's pod is named by its ReplicaSet, so the template's identity cannot name it: the
 * pod's own identity (instance = its name, as the fence addresses it) is written onto it, and
 * the workload is waited for until it reports that identity (the kubelet refreshes the
 * projected file after the annotation changed).
 */
async function ownIdentity(
  runtime: KubernetesRuntime,
  pod: InstanceInfo,
  template: Identity,
): Promise<InstanceInfo> {
  const identity = { ...template, instance: pod.instance, node: pod.node };
  await runtime.setIdentity(pod.instance, identity);
  await waitFor(
    `pod ${pod.instance} to report its own identity`,
    runtime.ctx.config.waitMs,
    async () => {
      const res = await fetch(`http://${pod.endpoint}/status`, {
        signal: AbortSignal.timeout(1000),
      }).catch(() => undefined);
      const status = (await res?.json().catch(() => undefined)) as
        | { identity?: { instance?: string } }
        | undefined;
      return status?.identity?.instance === pod.instance ? true : undefined;
    },
  );
  return (await runtime.inspect(pod.instance)) ?? pod;
}

/** `orders-0` → `orders`: the StatefulSet whose ordinal 0 the workload is. */
export function setNameOf(ordinal: string): string {
  const m = /^(.*)-0$/.exec(ordinal);
  if (!m?.[1]) throw new Error(`a StatefulSet workload is named <set>-0, not ${ordinal}`);
  return m[1];
}
