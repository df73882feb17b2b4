import type { V1Container, V1EnvVar, V1Pod, V1Volume } from "@kubernetes/client-node";
import type { Identity, WorkloadSpec } from "../types.ts";
import type { SourceInfo } from "./agent-protocol.ts";
import type { KubernetesRuntimeConfig } from "./config.ts";
import {
  Annotation,
  IDENTITY_DIR,
  IDENTITY_VOLUME,
  Label,
  PLACEHOLDER_CONTAINER,
  WORKLOAD_CONTAINER,
} from "./labels.ts";

/** The pod is placed on exactly this node, through the scheduler (which honours taints). */
function onNode(node: string) {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] },
        ],
      },
    },
  };
}

/** The SDK's identity file, projected from the pod's own annotation. */
export const identityVolume: V1Volume = {
  name: IDENTITY_VOLUME,
  downwardAPI: {
    items: [
      {
        path: "identity.json",
        fieldRef: { fieldPath: `metadata.annotations['${Annotation.identity}']` },
      },
    ],
  },
};

/**
 * The pod `run` makes: the workload image on the identity's node, its HTTP port, Ready when
 * it answers /health, and its identity file from its own annotation. `spec.entry` names the
 * service in the image: the image's own entry point runs it.
 */
export function workloadPod(
  config: KubernetesRuntimeConfig,
  spec: WorkloadSpec,
  identity: Identity,
): V1Pod {
  const env: V1EnvVar[] = Object.entries({
    NODE_OPTIONS: "--v8-pool-size=1",
    UV_THREADPOOL_SIZE: "1",
    ...spec.env,
    SHADOW_HTTP_PORT: String(spec.httpPort),
  }).map(([name, value]) => ({ name, value }));
  return {
    metadata: {
      name: identity.instance,
      namespace: config.namespace,
      // What the deployer declares (e.g. shadow.io/fence: it links the SDK), and the workload.
      labels: { ...spec.labels, [Label.workload]: identity.workload },
      annotations: {
        [Annotation.identity]: JSON.stringify(identity),
        ...(config.criuConfig ? { [Annotation.criuConfig]: config.criuConfig } : {}),
      },
    },
    spec: {
      affinity: onNode(identity.node),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: WORKLOAD_CONTAINER,
          image: config.workloadImage,
          imagePullPolicy: config.pullPolicy,
          env,
          ports: [{ name: "http", containerPort: spec.httpPort }],
          readinessProbe: { httpGet: { path: "/health", port: spec.httpPort }, periodSeconds: 1 },
          resources: {
            limits: { memory: String(spec.memoryBytes) },
            requests: {
              memory: String(spec.memoryBytes),
              ...(config.cpuRequest ? { cpu: config.cpuRequest } : {}),
            },
          },
          volumeMounts: [{ name: IDENTITY_VOLUME, mountPath: IDENTITY_DIR, readOnly: true }],
        },
      ],
      volumes: [identityVolume],
    },
  };
}

/**
 * A pod to restore a copy into, on `node`: the source container's volumes, ports, resources
 * and readiness probe on a placeholder that only holds the pod open. The process the agent
 * restores beside it serves the ports, so the probe sees it: the pod is Ready only while the
 * restored process answers. Its identity is its own (the annotation), never the source's.
 */
export function restorePod(o: {
  config: KubernetesRuntimeConfig;
  name: string;
  node: string;
  migrationId: string;
  identity: Identity;
  source: SourceInfo;
}): V1Pod {
  const container = o.source.template.container as unknown as V1Container;
  const mounts = (container.volumeMounts ?? []).filter((m) => m.mountPath !== IDENTITY_DIR);
  const used = new Set(mounts.map((m) => m.name));
  const volumes = (o.source.template.volumes as unknown as V1Volume[]).filter((v) =>
    used.has(v.name),
  );
  const fence = o.source.template.labels[Label.fence];
  return {
    metadata: {
      name: o.name,
      namespace: o.config.namespace,
      labels: {
        [Label.workload]: o.identity.workload,
        [Label.migration]: o.migrationId,
        ...(fence ? { [Label.fence]: fence } : {}),
      },
      annotations: {
        [Annotation.identity]: JSON.stringify(o.identity),
        [Annotation.restoreTarget]: o.migrationId,
        [Annotation.restoredFrom]: o.source.pod.name,
      },
    },
    spec: placeholderSpec(o.config, o.node, container, mounts, volumes),
  };
}

export function placeholderSpec(
  config: KubernetesRuntimeConfig,
  node: string,
  container: V1Container,
  mounts: V1Container["volumeMounts"],
  volumes: V1Volume[],
): V1Pod["spec"] & object {
  return {
    affinity: onNode(node),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 5,
    containers: [
      {
        name: PLACEHOLDER_CONTAINER,
        image: config.placeholderImage,
        imagePullPolicy: config.pullPolicy,
        ...(container.ports ? { ports: container.ports } : {}),
        ...(container.readinessProbe ? { readinessProbe: container.readinessProbe } : {}),
        ...(container.resources ? { resources: container.resources } : {}),
        volumeMounts: mounts ?? [],
      },
    ],
    volumes,
  };
}
