import type { NodeSignal, WorkloadSignal } from "../signals/types.ts";
import type { InFlight } from "./budget.ts";
import type { Condition } from "./conditions.ts";
import type { PolicyConfig } from "./config.ts";

/** Room already promised on a node by the moves decided in this round. */
export interface Promised {
  instances: number;
  memoryBytes: number;
  usedBytes: number;
}

export type TargetChoice = { node: string } | { why: string };

const MiB = 2 ** 20;

/**
 * Where a workload leaving `source` goes: a node of the policy's that is ready, not cordoned,
 * under no pressure, within its own budget of incoming migrations, with a free slot and the
 * memory the workload reserves, and that stays below its low memory mark with the workload's
 * use added (so a move never puts its target under pressure). A named workload (identity swap)
 * needs room for two copies on the target for a while: the shadow, then the named instance
 * recreated beside it. Of the nodes that fit, the one with the most memory left free.
 */
export function chooseTarget(
  workload: WorkloadSignal,
  named: boolean,
  source: string,
  nodes: readonly NodeSignal[],
  conditions: readonly Condition[],
  flight: InFlight,
  promised: ReadonlyMap<string, Promised>,
  config: PolicyConfig,
): TargetChoice {
  const copies = named ? 2 : 1;
  const refused: string[] = [];
  const fits: { node: string; free: number }[] = [];
  for (const n of nodes) {
    if (n.node === source) continue;
    if (config.nodes.length > 0 && !config.nodes.includes(n.node)) continue;
    const why = refusal(n, workload, copies, conditions, flight, promised.get(n.node), config);
    if (why) refused.push(`${n.node} ${why}`);
    else {
      const p = promised.get(n.node);
      fits.push({
        node: n.node,
        free: n.capacity.memoryBytes - n.allocated.memoryBytes - (p?.memoryBytes ?? 0),
      });
    }
  }
  const best = fits.sort((a, b) => b.free - a.free || a.node.localeCompare(b.node))[0];
  if (best) return { node: best.node };
  return { why: refused.length > 0 ? refused.join("; ") : "there is no other node" };
}

function refusal(
  n: NodeSignal,
  workload: WorkloadSignal,
  copies: number,
  conditions: readonly Condition[],
  flight: InFlight,
  promised: Promised | undefined,
  config: PolicyConfig,
): string | undefined {
  if (!n.ready) return "is not ready";
  if (n.draining) return "is draining";
  if (n.cordoned) return "is cordoned";
  const own = conditions.find((c) => c.node === n.node);
  if (own) return `is under ${own.kind} pressure itself`;
  if (flight.to(n.node) >= config.limits.perTarget) {
    return `takes ${config.limits.perTarget} migration(s) at once and has that many coming`;
  }
  const slots = n.capacity.instances - n.allocated.instances - (promised?.instances ?? 0);
  if (slots < copies) return `has ${Math.max(0, slots)} free slot(s), ${copies} needed`;
  const free = n.capacity.memoryBytes - n.allocated.memoryBytes - (promised?.memoryBytes ?? 0);
  const wanted = copies * workload.memoryBytes;
  if (free < wanted) {
    return `has ${Math.floor(Math.max(0, free) / MiB)} MiB unreserved, ${Math.ceil(wanted / MiB)} MiB needed`;
  }
  if (n.memory && n.memory.limitBytes > 0) {
    const after =
      (n.memory.usedBytes +
        (promised?.usedBytes ?? 0) +
        (workload.usedBytes ?? workload.memoryBytes)) /
      n.memory.limitBytes;
    if (after > config.memory.low) {
      return `would use ${pct(after)} of its memory with it (low mark ${pct(config.memory.low)})`;
    }
  }
  return undefined;
}

export const pct = (f: number) => `${Math.round(f * 100)}%`;
