import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { type MigrationObject, type MigrationSpec, migrationSpec } from "./resource.ts";

/** What the controller knows of the cluster: its informers' caches. */
export interface ClusterView {
  /** A pod of the namespace shadow migrates. */
  pod(name: string): V1Pod | undefined;
  nodes(): readonly V1Node[];
}

/** Why a Migration is refused before anything is asked of shadow. */
export type RefusalCode =
  | "INVALID_SPEC"
  | "WRONG_NAMESPACE"
  | "UNKNOWN_POD"
  | "NOT_A_WORKLOAD"
  | "POD_NOT_RUNNING"
  | "UNKNOWN_NODE"
  | "SAME_NODE"
  | "NODE_NOT_READY"
  | "NODE_UNSCHEDULABLE"
  | "NO_TARGET";

export type Decision =
  | {
      kind: "request";
      workload: string;
      source: { instance: string; node: string };
      targetNode: string;
      strategy: MigrationSpec["strategy"];
      identitySwap: boolean;
      imageTransfer?: MigrationSpec["imageTransfer"];
      reason?: string;
    }
  | { kind: "refuse"; code: RefusalCode; message: string };

/** The labels by which a pod is an instance of a workload (the kubernetes runtime's rule). */
const STATEFULSET_POD_NAME = "statefulset.kubernetes.io/pod-name";
const WORKLOAD_LABEL = "shadow.io/workload";

/**
 * What a Migration asks for, checked against the cluster as the informers show it: a pod that
 * runs, is an instance of a workload shadow knows, and a target node that exists, is Ready and
 * takes pods (or one picked when none is named). Whether another migration of the workload is
 * under way is not decided here: the migrations log decides that, for every trigger alike.
 */
export function decide(m: MigrationObject, cluster: ClusterView, namespace: string): Decision {
  const parsed = migrationSpec.safeParse(m.spec ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "spec"}: ${i.message}`);
    return refuse("INVALID_SPEC", `invalid spec: ${problems.join("; ")}`);
  }
  const spec = parsed.data;
  if (m.metadata.namespace !== namespace) {
    return refuse(
      "WRONG_NAMESPACE",
      `shadow migrates the pods of namespace ${namespace}; this Migration is in ${m.metadata.namespace}`,
    );
  }
  const pod = cluster.pod(spec.pod);
  if (!pod) return refuse("UNKNOWN_POD", `no pod named ${spec.pod} in namespace ${namespace}`);
  const workload = workloadOf(pod);
  if (!workload) {
    return refuse(
      "NOT_A_WORKLOAD",
      `pod ${spec.pod} is not an instance of a workload shadow knows: neither a StatefulSet's pod nor labelled ${WORKLOAD_LABEL}`,
    );
  }
  const sourceNode = pod.spec?.nodeName;
  if (pod.status?.phase !== "Running" || !sourceNode || pod.metadata?.deletionTimestamp) {
    return refuse(
      "POD_NOT_RUNNING",
      `pod ${spec.pod} is not running (${pod.metadata?.deletionTimestamp ? "being deleted" : (pod.status?.phase ?? "no status")})`,
    );
  }
  const nodes = cluster.nodes();
  let targetNode = spec.targetNode;
  if (targetNode) {
    const target = nodes.find((n) => n.metadata?.name === targetNode);
    if (!target) return refuse("UNKNOWN_NODE", `no node named ${targetNode}`);
    if (targetNode === sourceNode) {
      return refuse("SAME_NODE", `pod ${spec.pod} already runs on ${targetNode}`);
    }
    if (!nodeReady(target)) return refuse("NODE_NOT_READY", `node ${targetNode} is not Ready`);
    if (target.spec?.unschedulable) {
      return refuse("NODE_UNSCHEDULABLE", `node ${targetNode} is cordoned (unschedulable)`);
    }
  } else {
    targetNode = pickTarget(nodes, sourceNode);
    if (!targetNode) {
      return refuse("NO_TARGET", `no Ready, schedulable node other than ${sourceNode} to move to`);
    }
  }
  const instance = pod.metadata?.name ?? spec.pod;
  return {
    kind: "request",
    workload,
    source: { instance, node: sourceNode },
    targetNode,
    strategy: spec.strategy,
    // A pod that holds its workload's own name (a StatefulSet's ordinal pod) gets it back on
    // the target, as the gateway decides for a request that does not say.
    identitySwap: spec.identitySwap ?? (spec.strategy === "shadow" && instance === workload),
    ...(spec.imageTransfer ? { imageTransfer: spec.imageTransfer } : {}),
    ...(spec.reason ? { reason: spec.reason } : {}),
  };
}

/** A StatefulSet's pod: its ordinal name; else the workload its label names. */
export function workloadOf(pod: V1Pod): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (owner?.kind === "StatefulSet" && labels[STATEFULSET_POD_NAME]) {
    return labels[STATEFULSET_POD_NAME];
  }
  return labels[WORKLOAD_LABEL];
}

export function nodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/**
 * A node for a Migration that names none: Ready, schedulable, without taints that keep pods
 * off (NoSchedule, NoExecute), not the pod's own; the first by name, so the choice is the same
 * every time the controller looks.
 */
function pickTarget(nodes: readonly V1Node[], sourceNode: string): string | undefined {
  return nodes
    .filter(
      (n) =>
        n.metadata?.name !== sourceNode &&
        nodeReady(n) &&
        !n.spec?.unschedulable &&
        !(n.spec?.taints ?? []).some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute"),
    )
    .map((n) => n.metadata?.name ?? "")
    .filter(Boolean)
    .sort()[0];
}

function refuse(code: RefusalCode, message: string): Decision {
  return { kind: "refuse", code, message };
}
