import type { V1Pod } from "@kubernetes/client-node";
import { DO_NOT_DISRUPT, MIGRATE_LABEL } from "@shadow/contract";
import type { Identity, InstanceInfo } from "../types.ts";
import { Annotation, Label } from "./labels.ts";

/**
 * A pod as an instance of the runtime port. Its name is the instance; its workload is its
 * StatefulSet ordinal name when a StatefulSet owns it (that name is what an identity swap gives
 * back), else its `shadow.io/workload` label. Its identity is its own annotation (projected into
 * it as the SDK's file): a pod without one does not carry the SDK's identity and gets a
 * stand-in, never another pod's.
 */
export function workloadOf(pod: V1Pod): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  if (ownerOf(pod)?.kind === "StatefulSet" && labels[Label.statefulSetPodName]) {
    return labels[Label.statefulSetPodName];
  }
  return labels[Label.workload];
}

export function ownerOf(pod: V1Pod): { kind: string; name: string; uid: string } | undefined {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  return owner ? { kind: owner.kind, name: owner.name, uid: owner.uid } : undefined;
}

export function identityOf(pod: V1Pod): Identity | undefined {
  const text = pod.metadata?.annotations?.[Annotation.identity];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Identity;
    return typeof parsed.workload === "string" && typeof parsed.instance === "string"
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/** A pod made to receive a restore that has not received it yet: nothing runs in it. */
export function awaitingRestore(pod: V1Pod): boolean {
  const annotations = pod.metadata?.annotations ?? {};
  return (
    annotations[Annotation.restoreTarget] !== undefined &&
    annotations[Annotation.restoredBy] === undefined
  );
}

export function podRunning(pod: V1Pod): boolean {
  return pod.status?.phase === "Running" && !pod.metadata?.deletionTimestamp;
}

export function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** The TCP port the instance serves HTTP on: its `http` port, else its first. */
export function httpPortOf(pod: V1Pod): number {
  const ports = pod.spec?.containers.flatMap((c) => c.ports ?? []) ?? [];
  return (ports.find((p) => p.name === "http") ?? ports[0])?.containerPort ?? 8080;
}

export function toInstanceInfo(pod: V1Pod): InstanceInfo | undefined {
  const workload = workloadOf(pod);
  const name = pod.metadata?.name;
  if (!workload || !name) return undefined;
  const node = pod.spec?.nodeName ?? "";
  const identity = identityOf(pod) ?? {
    workload,
    instance: name,
    node,
    role: "primary",
    incarnation: 0,
  };
  const running = podRunning(pod) && !awaitingRestore(pod);
  return {
    instance: name,
    workload,
    node,
    endpoint: pod.status?.podIP ? `${pod.status.podIP}:${httpPortOf(pod)}` : "",
    state: running ? "running" : "stopped",
    identity,
    // A pod's labels are what its deployer declares about it (admission reads shadow.io/fence);
    // an opt-out may be an annotation as well (a label wins).
    labels: { ...optOutAnnotations(pod), ...pod.metadata?.labels },
  };
}

/** The opt-outs (shadow.io/migrate, karpenter.sh/do-not-disrupt) a pod carries as annotations. */
function optOutAnnotations(pod: V1Pod): Record<string, string> {
  const annotations = pod.metadata?.annotations ?? {};
  return Object.fromEntries(
    [MIGRATE_LABEL, DO_NOT_DISRUPT].flatMap((key) =>
      annotations[key] === undefined ? [] : [[key, annotations[key]]],
    ),
  );
}
