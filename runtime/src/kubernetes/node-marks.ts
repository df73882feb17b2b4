import type { V1Node, V1Taint } from "@kubernetes/client-node";
import type { NodeMarks } from "../types.ts";
import type { KubeContext } from "./context.ts";
import { mergePatch } from "./kube.ts";

/**
 * The taint that says a node is draining: cordoned (`spec.unschedulable`, as `kubectl cordon`
 * sets it) and to be emptied of every workload that can move. A taint because Kubernetes has no
 * field for it, and NoSchedule because a draining node takes no new pod either.
 */
export const DRAINING_TAINT = "shadow.io/draining";

export function isDraining(node: V1Node): boolean {
  return (node.spec?.taints ?? []).some((t) => t.key === DRAINING_TAINT);
}

/** The node's spec with the marks applied; a mark left out stays as it is. */
export function markedSpec(
  node: V1Node,
  marks: NodeMarks,
): { unschedulable: boolean; taints: V1Taint[] } {
  const draining = marks.draining ?? isDraining(node);
  const others = (node.spec?.taints ?? []).filter((t) => t.key !== DRAINING_TAINT);
  // Draining implies cordoned; ending a cordon ends a drain too (`shadow node uncordon`).
  const cordoned = marks.cordoned ?? (node.spec?.unschedulable === true || draining);
  const drains = draining && cordoned;
  return {
    unschedulable: cordoned,
    taints: drains
      ? [...others, { key: DRAINING_TAINT, value: "true", effect: "NoSchedule" }]
      : others,
  };
}

/**
 * Writes the marks with a JSON merge patch of `spec.unschedulable` and `spec.taints`. A merge
 * patch replaces the taint list whole, so the list sent is the node's as read with ours changed,
 * and the patch names the version it was read at: a node changed in between is refused (409),
 * never overwritten.
 */
export async function markNode(ctx: KubeContext, name: string, marks: NodeMarks): Promise<V1Node> {
  const node = await ctx.kube.core.readNode({ name });
  const spec = markedSpec(node, marks);
  const resourceVersion = node.metadata?.resourceVersion;
  return ctx.kube.core.patchNode(
    { name, body: { metadata: { ...(resourceVersion ? { resourceVersion } : {}) }, spec } },
    mergePatch,
  );
}
