import type { V1ConfigMap, V1PodSpec, V1StatefulSet } from "@kubernetes/client-node";
import type { ClusterInfo } from "../setup/cluster-info.ts";

/** Where the example service runs in the cluster: the image, Kafka, its topics. */
export interface WorkloadSettings {
  cluster: ClusterInfo;
  /** Kafka as seen from a pod: the local stack's listener for containers (10.213.0.1:9094). */
  brokers: string[];
  inputTopic: string;
  outputTopic: string;
}

export const WORKLOAD_CONTAINER = "workload";
const HTTP_PORT = 8080;

/** The SDK's identity file, as a ConfigMap mounted at /run/shadow. */
export function identityConfigMap(name: string, node: string): V1ConfigMap {
  const identity = { workload: name, instance: name, node, role: "primary", incarnation: 0 };
  return {
    metadata: { name: `${name}-identity` },
    data: { "identity.json": `${JSON.stringify(identity)}\n` },
  };
}

/**
 * A pod spec running the example service from the imported workload image: never pulled,
 * Ready when its HTTP server answers, its CRIU options (network lock, live TCP) named by the
 * annotation the nodes' containerd passes on to runc (see workloadAnnotations).
 */
export function workloadPodSpec(name: string, s: WorkloadSettings): V1PodSpec {
  return {
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: 5,
    containers: [
      {
        name: WORKLOAD_CONTAINER,
        image: s.cluster.images.workload,
        imagePullPolicy: "Never",
        env: [
          { name: "SHADOW_KAFKA_BROKERS", value: s.brokers.join(",") },
          { name: "SHADOW_INPUT_TOPICS", value: s.inputTopic },
          { name: "SHADOW_OUTPUT_TOPIC", value: s.outputTopic },
          { name: "SHADOW_HTTP_PORT", value: String(HTTP_PORT) },
          { name: "SHADOW_COST_MS", value: "1" },
          { name: "NODE_OPTIONS", value: "--v8-pool-size=1" },
        ],
        ports: [{ name: "http", containerPort: HTTP_PORT }],
        readinessProbe: { httpGet: { path: "/health", port: HTTP_PORT }, periodSeconds: 1 },
        volumeMounts: [{ name: "identity", mountPath: "/run/shadow", readOnly: true }],
      },
    ],
    volumes: [{ name: "identity", configMap: { name: `${name}-identity` } }],
  };
}

export function workloadAnnotations(cluster: ClusterInfo): Record<string, string> {
  return { [cluster.criuConfigAnnotation]: cluster.criuCheckpointConfig };
}

/** A StatefulSet of one example service, kept on `node` by its hostname label. */
export function workloadStatefulSet(
  name: string,
  node: string,
  s: WorkloadSettings,
): V1StatefulSet {
  const labels = { app: name };
  const spec = workloadPodSpec(name, s);
  return {
    metadata: { name, labels },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: workloadAnnotations(s.cluster) },
        spec: { ...spec, nodeSelector: { "kubernetes.io/hostname": node } },
      },
    },
  };
}

export function workloadUrl(podIp: string, path: string): string {
  return `http://${podIp}:${HTTP_PORT}${path}`;
}
