import type { ClusterSnapshot, NodeSignal } from "../signals/types.ts";
import type { PolicyConfig, PressureKind } from "./config.ts";

/** A node under pressure of one kind, since when, and the reading that put it there. */
export interface Condition {
  node: string;
  kind: PressureKind;
  value: number;
  threshold: number;
  /** When the condition began (ms since epoch). */
  since: number;
}

/** One figure's hysteresis: whether it is on, and since when it has been beyond either mark. */
interface Mark {
  on: boolean;
  since?: number;
  aboveSince?: number;
  belowSince?: number;
  value: number;
  threshold: number;
}

/**
 * What the watcher remembers between looks: each node's marks, and each condition that held
 * (`node/kind`) with its start. Replaced at every look, never mutated.
 */
export interface ConditionState {
  marks: ReadonlyMap<string, { memory?: Mark; psi?: Mark }>;
  held: ReadonlyMap<string, number>;
}

export interface Observation {
  state: ConditionState;
  /** Every condition that holds now, cordon and drain included. */
  active: Condition[];
  /** Conditions that began with this look. */
  began: Condition[];
  /** Conditions that held before this look and no longer do. */
  ended: Pick<Condition, "node" | "kind">[];
}

/**
 * One look at the cluster through the hysteresis: a memory figure must stay above its high
 * mark for `holdMs` before its node is under pressure, and at or below its low mark for
 * `clearMs` before the pressure clears; in between, nothing changes. So a figure flapping
 * around one mark raises one condition, not one per crossing. A cordon and a drain are
 * someone's decision and hold as long as they are set.
 */
export function observe(
  previous: ConditionState,
  snapshot: ClusterSnapshot,
  config: PolicyConfig,
): Observation {
  const now = snapshot.at.getTime();
  const state = new Map<string, { memory?: Mark; psi?: Mark }>();
  const active: Condition[] = [];
  const began: Condition[] = [];
  const ended: Pick<Condition, "node" | "kind">[] = [];
  const before = previous.held;

  for (const node of snapshot.nodes) {
    if (config.nodes.length > 0 && !config.nodes.includes(node.node)) continue;
    const old = previous.marks.get(node.node) ?? {};
    const memory = memoryReading(node, config);
    const psi = psiReading(node, config);
    const marks = {
      ...(memory ? { memory: step(old.memory, memory, now, config) } : {}),
      ...(psi ? { psi: step(old.psi, psi, now, config) } : {}),
    };
    state.set(node.node, marks);
    const conditions: Condition[] = [];
    for (const kind of ["memory", "psi"] as const) {
      const mark = marks[kind];
      if (mark?.on) {
        conditions.push({
          node: node.node,
          kind,
          value: mark.value,
          threshold: mark.threshold,
          since: mark.since ?? now,
        });
      }
    }
    // Someone's decision, no figure: value and threshold are 1 (set, and what counts as set).
    const mark = node.draining
      ? "drain"
      : node.cordoned && config.onCordon === "migrate"
        ? "cordon"
        : undefined;
    if (mark) {
      const since = before.get(`${node.node}/${mark}`) ?? now;
      conditions.push({ node: node.node, kind: mark, value: 1, threshold: 1, since });
    }
    for (const c of conditions) {
      active.push(c);
      if (!before.has(`${c.node}/${c.kind}`)) began.push(c);
    }
  }
  const held = new Map(active.map((c) => [`${c.node}/${c.kind}`, c.since]));
  for (const key of before.keys()) {
    if (held.has(key)) continue;
    const [node = "", kind] = key.split("/");
    ended.push({ node, kind: kind as PressureKind });
  }
  return { state: { marks: state, held }, active, began, ended };
}

/** A figure's reading against its marks: how far up it is, and which marks apply. */
interface Reading {
  value: number;
  above: boolean;
  below: boolean;
  threshold: number;
}

function memoryReading(node: NodeSignal, config: PolicyConfig): Reading | undefined {
  if (!node.memory || node.memory.limitBytes <= 0) return undefined;
  const value = node.memory.usedBytes / node.memory.limitBytes;
  return {
    value,
    above: value >= config.memory.high,
    below: value <= config.memory.low,
    threshold: config.memory.high,
  };
}

/** PSI `some` and `full` over the configured window; either above its high mark counts. */
function psiReading(node: NodeSignal, config: PolicyConfig): Reading | undefined {
  if (!node.psi) return undefined;
  const some = node.psi.some[config.psi.window];
  const full = node.psi.full[config.psi.window];
  const fullAbove = full >= config.psi.full.high;
  return {
    value: fullAbove ? full : some,
    above: some >= config.psi.some.high || fullAbove,
    below: some <= config.psi.some.low && full <= config.psi.full.low,
    threshold: fullAbove ? config.psi.full.high : config.psi.some.high,
  };
}

function step(old: Mark | undefined, reading: Reading, now: number, config: PolicyConfig): Mark {
  const aboveSince = reading.above ? (old?.aboveSince ?? now) : undefined;
  const belowSince = reading.below ? (old?.belowSince ?? now) : undefined;
  let on = old?.on ?? false;
  let since = old?.since;
  if (!on && aboveSince !== undefined && now - aboveSince >= config.holdMs) {
    on = true;
    since = now;
  } else if (on && belowSince !== undefined && now - belowSince >= config.clearMs) {
    on = false;
    since = undefined;
  }
  return {
    on,
    ...(since === undefined ? {} : { since }),
    ...(aboveSince === undefined ? {} : { aboveSince }),
    ...(belowSince === undefined ? {} : { belowSince }),
    value: reading.value,
    threshold: reading.threshold,
  };
}

/** No look yet. */
export const noConditions: ConditionState = { marks: new Map(), held: new Map() };
