import type { NodeInfo } from "@shadow/runtime";
import { RequestRefused } from "./errors.ts";

/** Free room on a node, as a fraction of its instance capacity. */
function headroom(node: NodeInfo): number {
  return 1 - node.allocated.instances / Math.max(1, node.capacity.instances);
}

/**
 * The target of a migration: the named node if it can take the workload, else (for "auto")
 * the ready node other than the source with the most headroom and no pressure.
 */
export function chooseTarget(
  nodes: NodeInfo[],
  sourceNode: string,
  requested: string,
  sameNodeHint?: string,
): string {
  if (requested !== "auto") {
    const node = nodes.find((n) => n.name === requested);
    if (!node) throw new RequestRefused(422, `unknown node ${requested}`, "UNKNOWN_NODE");
    if (node.name === sourceNode) {
      const hint = sameNodeHint ? `: ${sameNodeHint}` : "";
      throw new RequestRefused(
        422,
        `the workload already runs on ${requested}${hint}`,
        "SAME_NODE",
      );
    }
    if (!node.ready || node.pressure.cordoned) {
      throw new RequestRefused(422, `node ${requested} is not schedulable`, "NODE_UNSCHEDULABLE");
    }
    return node.name;
  }
  const candidates = nodes
    .filter((n) => n.name !== sourceNode && n.ready && !n.pressure.cordoned)
    .filter((n) => !n.pressure.memory && !n.pressure.disk && headroom(n) > 0)
    .sort((a, b) => headroom(b) - headroom(a) || a.name.localeCompare(b.name));
  const best = candidates[0];
  if (!best) throw new RequestRefused(422, "no node can take the workload", "NO_TARGET");
  return best.name;
}
