import type { NodeSignal, WorkloadSignal } from "../signals/types.ts";
import { type ConditionState, noConditions, observe } from "./conditions.ts";
import type { PolicyConfig } from "./config.ts";
import { decide } from "./decide.ts";
import { snapshot } from "./fixtures.ts";
import type { Decision, MigrationRecord } from "./types.ts";

/**
 * Runs the policy over time, for tests: every `stepMs` it looks at the cluster through the
 * hysteresis and decides for every condition that holds (more often than the service, which
 * decides when a condition begins and at each resync); a migration it starts ends
 * `migrationMs` later with its workload on the target.
 */
export interface Simulation {
  config: PolicyConfig;
  nodes: NodeSignal[];
  workloads: WorkloadSignal[];
  durationMs: number;
  stepMs: number;
  migrationMs: number;
  /** The memory figure of a node at `t` ms, given the workloads on it now. */
  memoryOf?(node: string, t: number, on: WorkloadSignal[]): NodeSignal["memory"];
}

export interface SimulationResult {
  decisions: (Decision & { at: number })[];
  moves: { at: number; workload: string; from: string; to: string }[];
  /** The most migrations under way at once: off one node, onto one node, in all. */
  peak: { perSource: number; perTarget: number; total: number };
  workloads: WorkloadSignal[];
}

export function simulate(sim: Simulation): SimulationResult {
  const start = Date.UTC(2026, 2, 2, 20, 0, 0);
  let state: ConditionState = noConditions;
  let workloads = sim.workloads.map((w) => ({ ...w }));
  const migrations: (MigrationRecord & { endsAt: number })[] = [];
  const result: SimulationResult = {
    decisions: [],
    moves: [],
    peak: { perSource: 0, perTarget: 0, total: 0 },
    workloads,
  };
  for (let t = 0; t <= sim.durationMs; t += sim.stepMs) {
    for (const m of migrations) {
      if (m.active && m.endsAt <= start + t) {
        m.active = false;
        m.endedAt = start + t;
        workloads = workloads.map((w) =>
          w.workload === m.workload ? { ...w, node: m.targetNode } : w,
        );
      }
    }
    const nodes = sim.nodes.map((n) => {
      const memory = sim.memoryOf?.(
        n.node,
        t,
        workloads.filter((w) => w.node === n.node),
      );
      return memory ? { ...n, memory } : n;
    });
    const snap = snapshot(new Date(start + t), nodes, workloads);
    const seen = observe(state, snap, sim.config);
    state = seen.state;
    for (const condition of seen.active) {
      const decisions = decide({
        condition,
        conditions: seen.active,
        snapshot: snap,
        migrations,
        config: sim.config,
        now: snap.at,
        migrationIdFor: (w) => `mig-${w}-${t}`,
      });
      for (const d of decisions) {
        result.decisions.push({ ...d, at: t });
        if (!d.migration) continue;
        migrations.push({
          migrationId: d.migration.migrationId,
          workload: d.migration.workload,
          sourceNode: d.node,
          targetNode: d.migration.targetNode,
          active: true,
          requestedAt: start + t,
          endsAt: start + t + sim.migrationMs,
        });
        result.moves.push({
          at: t,
          workload: d.migration.workload,
          from: d.node,
          to: d.migration.targetNode,
        });
      }
    }
    const active = migrations.filter((m) => m.active);
    const most = (key: "sourceNode" | "targetNode") =>
      Math.max(0, ...sim.nodes.map((n) => active.filter((m) => m[key] === n.node).length));
    result.peak.perSource = Math.max(result.peak.perSource, most("sourceNode"));
    result.peak.perTarget = Math.max(result.peak.perTarget, most("targetNode"));
    result.peak.total = Math.max(result.peak.total, active.length);
  }
  result.workloads = workloads;
  return result;
}
