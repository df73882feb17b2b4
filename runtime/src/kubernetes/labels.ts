/**
 * The labels and annotations by which the adapter knows shadow's pods. A pod is an instance
 * when it carries WORKLOAD; every object the adapter makes for a migration carries MIGRATION.
 */
export const Label = {
  /** The workload the pod is an instance of (a StatefulSet's pods: their ordinal name rules). */
  workload: "shadow.io/workload",
  /** The migration that made the object. */
  migration: "shadow.io/migration",
  /** The workload links the SDK: it can be a shadow and pause at a fence. */
  fence: "shadow.io/fence",
  /** The StatefulSet controller's label naming a pod's ordinal identity. */
  statefulSetPodName: "statefulset.kubernetes.io/pod-name",
  /** The StatefulSet controller's label naming a pod's revision. */
  controllerRevision: "controller-revision-hash",
} as const;

export const Annotation = {
  /** The SDK's identity file, as JSON; a downwardAPI volume item projects it into the pod. */
  identity: "shadow.io/identity",
  /** On a pod whose process the node agent restored (not the kubelet's: dumped by the agent). */
  restoredBy: "shadow.io/restored-by",
  /** The pod a restored pod's process came from. */
  restoredFrom: "shadow.io/restored-from",
  /** On a pod made to receive a restore (a StatefulSet's recreated ordinal): its migration. */
  restoreTarget: "shadow.io/restore-target",
  /** On a StatefulSet under an identity swap: what to put back when it ends (JSON). */
  swap: "shadow.io/identity-swap",
  /** The ReplicaSet controller deletes the pod with the lowest cost first. */
  deletionCost: "controller.kubernetes.io/pod-deletion-cost",
  /** Where CRIU finds a container's options (the node's runtime passes it on to runc). */
  criuConfig: "org.criu.config",
} as const;

/** The container of a restored pod that holds its place (the process runs beside it). */
export const PLACEHOLDER_CONTAINER = "placeholder";
/** The container `run` makes. */
export const WORKLOAD_CONTAINER = "workload";
export const IDENTITY_DIR = "/run/shadow";
export const IDENTITY_VOLUME = "shadow-identity";
