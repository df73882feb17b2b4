import type { ClusterSnapshot, NodeSignal, WorkloadSignal } from "../signals/types.ts";
import type { Condition } from "./conditions.ts";
import { type PolicyConfig, policyConfig } from "./config.ts";
import type { DecisionInput, MigrationRecord } from "./types.ts";

/** Test fixtures for the policy: nodes, workloads and inputs with plain defaults. */
export const MiB = 2 ** 20;

export function node(name: string, over: Partial<NodeSignal> = {}): NodeSignal {
  return {
    node: name,
    ready: true,
    cordoned: false,
    draining: false,
    capacity: { instances: 40, memoryBytes: 16_384 * MiB },
    allocated: { instances: 0, memoryBytes: 0 },
    memory: { usedBytes: 1_024 * MiB, limitBytes: 16_384 * MiB },
    ...over,
  };
}

export function workload(
  name: string,
  on: string,
  over: Partial<WorkloadSignal> = {},
): WorkloadSignal {
  return {
    workload: name,
    instance: name,
    node: on,
    memoryBytes: 256 * MiB,
    usedBytes: 100 * MiB,
    labels: {},
    ...over,
  };
}

/** The nodes' allocations as their workloads reserve them. */
export function snapshot(
  at: Date,
  nodes: NodeSignal[],
  workloads: WorkloadSignal[],
): ClusterSnapshot {
  return {
    at,
    nodes: nodes.map((n) => {
      const mine = workloads.filter((w) => w.node === n.node);
      return {
        ...n,
        allocated: {
          instances: n.allocated.instances + mine.length,
          memoryBytes: n.allocated.memoryBytes + mine.reduce((s, w) => s + w.memoryBytes, 0),
        },
      };
    }),
    workloads,
  };
}

export function condition(
  nodeName: string,
  kind: Condition["kind"],
  over: Partial<Condition> = {},
): Condition {
  return { node: nodeName, kind, value: 1, threshold: 1, since: 0, ...over };
}

export function input(
  over: Partial<DecisionInput> & { condition: Condition; snapshot: ClusterSnapshot },
): DecisionInput {
  const config: PolicyConfig = over.config ?? policyConfig();
  return {
    conditions: [over.condition],
    migrations: [] as MigrationRecord[],
    now: over.snapshot.at,
    migrationIdFor: (w) => `mig-${w}`,
    ...over,
    config,
  };
}
