import type { V1Node, V1Pod } from "@kubernetes/client-node";
import type { NodeInfo } from "../types.ts";
import type { SummaryPressure } from "./kubelet-summary.ts";
import { isDraining } from "./node-marks.ts";

/** Whether the node's Ready condition is True (Unknown, a lost kubelet, is not). */
export function nodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/**
 * The taints the node lifecycle controller and the kubelet put on a node for its conditions
 * (NotReady, unreachable, under pressure...): the node's readiness and pressure say those, and a
 * new node carries not-ready for a moment after it turned Ready. A cordon is anything else.
 */
const CONDITION_TAINTS = new Set(
  [
    "not-ready",
    "unreachable",
    "memory-pressure",
    "disk-pressure",
    "pid-pressure",
    "network-unavailable",
  ].map((name) => `node.kubernetes.io/${name}`),
);

/**
 * A Kubernetes node as the runtime port's NodeInfo. Cordoned: marked unschedulable, or tainted
 * so that new pods without a toleration stay off it (NoSchedule, NoExecute; not for a condition). Memory use and
 * PSI come from its kubelet's summary, where it was read.
 */
export function toNodeInfo(node: V1Node, pods: V1Pod[], summary: SummaryPressure = {}): NodeInfo {
  const name = node.metadata?.name ?? "";
  const conditions = node.status?.conditions ?? [];
  const condition = (type: string) =>
    conditions.some((c) => c.type === type && c.status === "True");
  const capacity = node.status?.allocatable ?? node.status?.capacity ?? {};
  const mine = pods.filter((p) => p.spec?.nodeName === name && !p.metadata?.deletionTimestamp);
  return {
    name,
    address: node.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? "",
    ready: nodeReady(node),
    capacity: {
      instances: Number(capacity.pods ?? 0),
      memoryBytes: quantityBytes(capacity.memory),
      diskBytes: quantityBytes(capacity["ephemeral-storage"]),
    },
    allocated: {
      instances: mine.length,
      memoryBytes: mine.reduce(
        (sum, p) =>
          sum +
          (p.spec?.containers ?? []).reduce(
            (s, c) => s + quantityBytes(c.resources?.requests?.memory),
            0,
          ),
        0,
      ),
    },
    pressure: {
      ...summary,
      memory: condition("MemoryPressure"),
      disk: condition("DiskPressure"),
      cordoned:
        node.spec?.unschedulable === true ||
        (node.spec?.taints ?? []).some(
          (t) =>
            (t.effect === "NoSchedule" || t.effect === "NoExecute") && !CONDITION_TAINTS.has(t.key),
        ),
      draining: isDraining(node),
    },
  };
}

const UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** "16Gi" → bytes; an absent or unreadable quantity is 0. */
export function quantityBytes(quantity: string | undefined): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(quantity ?? "");
  if (!m) return 0;
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? ""] ?? 0));
}

/**
 * Whether the node's container runtime could restore a checkpoint image by itself: CRI-O (with
 * `enable_criu_support` and, since mid-2026, its restore switched back on) or containerd 2.1 to
 * 2.3 with `enable_experimental_restore_via_create`. The node's runtime version says whether it
 * can; only its administrator knows whether the option is on, and says so with the node label
 * `shadow.io/native-restore=true`. containerd 2.4 and later cannot (the path was removed).
 */
export function nativeRestore(node: V1Node): {
  capable: boolean;
  enabled: boolean;
  runtime: string;
} {
  const runtime = node.status?.nodeInfo?.containerRuntimeVersion ?? "";
  const [engine, version = ""] = runtime.split("://");
  const [major = 0, minor = 0] = version.split(".").map((n) => Number.parseInt(n, 10) || 0);
  const capable =
    engine === "cri-o" || (engine === "containerd" && major === 2 && minor >= 1 && minor <= 3);
  const enabled = capable && node.metadata?.labels?.["shadow.io/native-restore"] === "true";
  return { capable, enabled, runtime };
}
