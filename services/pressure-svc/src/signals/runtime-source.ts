import type { InstanceInfo, Runtime } from "@shadow/runtime";
import type { ClusterSnapshot, SignalSource, WorkloadSignal } from "./types.ts";

/**
 * Signals read through the runtime port: each node's marks, capacity and memory figures
 * (`nodes()`), and the serving copy of each workload (`list()`). Polled: the local runtime has
 * nothing to watch.
 */
export function runtimeSignals(
  runtime: Pick<Runtime, "nodes" | "list">,
  now: () => Date = () => new Date(),
): SignalSource {
  return {
    async snapshot(): Promise<ClusterSnapshot> {
      const [nodes, instances] = await Promise.all([runtime.nodes(), runtime.list()]);
      return {
        at: now(),
        nodes: nodes.map((n) => ({
          node: n.name,
          ready: n.ready,
          cordoned: n.pressure.cordoned,
          draining: n.pressure.draining ?? false,
          capacity: { instances: n.capacity.instances, memoryBytes: n.capacity.memoryBytes },
          allocated: n.allocated,
          ...(n.pressure.memoryUsage ? { memory: n.pressure.memoryUsage } : {}),
          ...(n.pressure.memoryPsi ? { psi: n.pressure.memoryPsi } : {}),
        })),
        workloads: servingCopies(instances),
      };
    },
  };
}

/**
 * One copy per workload: the only running one, or, while a migration has two, the primary (a
 * shadow that passed its fence keeps "shadow" in its identity file, so the role only breaks a
 * tie, as the gateway does).
 */
export function servingCopies(instances: InstanceInfo[]): WorkloadSignal[] {
  const byWorkload = new Map<string, InstanceInfo[]>();
  for (const i of instances) {
    if (i.state !== "running") continue;
    byWorkload.set(i.workload, [...(byWorkload.get(i.workload) ?? []), i]);
  }
  const serving: WorkloadSignal[] = [];
  for (const [workload, running] of byWorkload) {
    const copy =
      running.length === 1 ? running[0] : running.find((i) => i.identity.role === "primary");
    if (!copy) continue;
    serving.push({
      workload,
      instance: copy.instance,
      node: copy.node,
      memoryBytes: copy.memory?.limitBytes ?? 0,
      ...(copy.memory?.usedBytes === undefined ? {} : { usedBytes: copy.memory.usedBytes }),
      labels: copy.labels ?? {},
    });
  }
  return serving.sort((a, b) => a.workload.localeCompare(b.workload));
}
