import type { NodeMemoryPsi } from "@shadow/runtime";

/**
 * What pressure-svc knows of one node at one moment. A signal source fills it from whatever
 * the platform offers: the local runtime's node cgroups and marks, or (later) a Kubernetes
 * node's conditions, `spec.unschedulable`, taints and the kubelet's PSI figures.
 */
export interface NodeSignal {
  node: string;
  ready: boolean;
  /** Takes no new instance (Kubernetes: unschedulable, or a NoSchedule taint). */
  cordoned: boolean;
  /** Is to be emptied (Kubernetes: a NoExecute taint, or a drain). */
  draining: boolean;
  capacity: { instances: number; memoryBytes: number };
  /** Reserved by the instances placed on it (their specs' memory). */
  allocated: { instances: number; memoryBytes: number };
  /** What its processes use now against what it may use, where the platform tells. */
  memory?: { usedBytes: number; limitBytes: number };
  /** Memory PSI for the node, where the kernel keeps it. */
  psi?: NodeMemoryPsi;
}

/** The copy of a workload that serves now, and what the policy needs to know of it. */
export interface WorkloadSignal {
  workload: string;
  instance: string;
  node: string;
  /** The memory it reserves on its node (its spec's), which a target must have free. */
  memoryBytes: number;
  /** What it uses now, where known: the relief its node gets when it leaves. */
  usedBytes?: number;
  /** Its labels and annotations (opt-out: `shadow.io/migrate: "never"`). */
  labels: Record<string, string>;
}

/** Every node and serving workload, read at one moment. */
export interface ClusterSnapshot {
  at: Date;
  nodes: NodeSignal[];
  workloads: WorkloadSignal[];
}

/**
 * The port pressure-svc reads the cluster through. `snapshot` answers from whatever the source
 * keeps (a poll of the local runtime, a Kubernetes informer's cache); `onChange`, where the
 * source is told of changes (a watch), lets the watcher look at once instead of at its next
 * tick.
 */
export interface SignalSource {
  snapshot(): Promise<ClusterSnapshot>;
  onChange?(listener: () => void): () => void;
}
