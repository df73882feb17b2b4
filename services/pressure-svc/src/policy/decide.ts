import { optOutOf } from "@shadow/contract";
import type { WorkloadSignal } from "../signals/types.ts";
import { openBlackout } from "./blackout.ts";
import { type InFlight, inFlight, lastEnded } from "./budget.ts";
import type { Condition } from "./conditions.ts";
import { totalLimit } from "./config.ts";
import { chooseTarget, type Promised, pct } from "./targets.ts";
import type { Decision, DecisionCode, DecisionInput } from "./types.ts";

const MiB = 2 ** 20;

/**
 * What to do about one node's condition, now: the migrations to start (each a `MIGRATE`
 * decision with its request), or one decision that nothing starts, and why. Pure: the same
 * input gives the same decisions.
 *
 * In the manner of the descheduler and Karpenter's disruption budgets: workloads that may move
 * (not opted out, not migrating already, not moved within the cooldown) leave largest relief
 * first, within the budgets of migrations at once per source node, per target node and in
 * all, counted from the log (every migration under way, whoever asked for it); under memory
 * pressure only as many as bring the node to its low mark, counting those leaving already.
 */
export function decide(input: DecisionInput): Decision[] {
  const { condition, config, now } = input;
  const none = (code: DecisionCode, reason: string, passedOver: Decision["passedOver"] = []) => [
    { ...about(condition), code, reason, passedOver },
  ];
  const what = describe(condition);

  if (config.disabledNodes.includes(condition.node)) {
    return none("NODE_DISABLED", `${what}: automatic migrations are disabled on ${condition.node}`);
  }
  const blackout = openBlackout(config.blackouts, condition.kind, now);
  if (blackout) {
    return none(
      "BLACKOUT",
      `${what}: blackout window "${blackout.window.schedule}" for ${blackout.window.duration} is open until ${blackout.until.toISOString()}`,
    );
  }

  // The budgets count the migrations under way on the nodes this policy looks after, as
  // Karpenter's count a node pool's: one that touches none of them (another pool's, or one
  // left "under way" on a node that is gone) is not this policy's to wait for.
  const counted = countedMigrations(input);
  const flight = inFlight(counted);
  const ofWorkload = inFlight(input.migrations);
  const onNode = input.snapshot.workloads.filter((w) => w.node === condition.node);
  const passedOver: Decision["passedOver"] = [];
  const candidates: WorkloadSignal[] = [];
  for (const w of onNode) {
    const why = holdBack(w, input, ofWorkload);
    if (why) passedOver.push({ workload: w.workload, why });
    else candidates.push(w);
  }
  // Largest relief first: the node gets back what the workload uses (or reserves, unknown).
  candidates.sort((a, b) => relief(b) - relief(a) || a.workload.localeCompare(b.workload));

  let needed = reliefNeeded(condition, input, flight);
  if (needed <= 0) {
    return none(
      "RELIEF_UNDER_WAY",
      `${what}: the ${flight.from(condition.node)} migration(s) leaving ${condition.node} bring it below its low mark`,
      passedOver,
    );
  }
  if (candidates.length === 0) {
    const reason =
      onNode.length === 0
        ? `${what}: no workload runs on ${condition.node}`
        : `${what}: none of the ${onNode.length} workload(s) on ${condition.node} may move now`;
    return none("NO_CANDIDATE", reason, passedOver);
  }

  const nodesInScope = input.snapshot.nodes.filter(
    (n) => config.nodes.length === 0 || config.nodes.includes(n.node),
  ).length;
  const total = totalLimit(config, nodesInScope);
  const decided: { sourceNode: string; targetNode: string; workload: string }[] = [];
  const promised = new Map<string, Promised>();
  const decisions: Decision[] = [];
  let budget: DecisionCode | undefined;
  for (const w of candidates) {
    if (needed <= 0) break;
    const now_ = inFlight(counted, decided);
    if (now_.from(condition.node) >= config.limits.perSource) {
      budget = "SOURCE_BUDGET";
      break;
    }
    if (now_.total >= total) {
      budget = "TOTAL_BUDGET";
      break;
    }
    const named = w.instance === w.workload;
    const target = chooseTarget(
      w,
      named,
      condition.node,
      input.snapshot.nodes,
      input.conditions,
      now_,
      promised,
      config,
    );
    if ("why" in target) {
      passedOver.push({ workload: w.workload, why: clip(`no target: ${target.why}`) });
      continue;
    }
    const migrationId = input.migrationIdFor(w.workload);
    const bytes = relief(w);
    const reason = clip(
      `${what}: ${w.workload} gives back ${Math.round(bytes / MiB)} MiB, the most of what may move; to ${target.node}`,
      500,
    );
    decisions.push({
      ...about(condition),
      code: "MIGRATE",
      reason,
      passedOver: [],
      migration: {
        migrationId,
        workload: w.workload,
        instance: w.instance,
        targetNode: target.node,
        reliefBytes: Math.round(bytes),
        request: {
          migrationId,
          workload: w.workload,
          strategy: config.strategy,
          identitySwap: named && config.strategy === "shadow",
          source: { instance: w.instance, node: w.node },
          targetNode: target.node,
          requestedBy: "pressure",
          requestedAt: now.toISOString(),
          reason,
        },
      },
    });
    decided.push({ sourceNode: w.node, targetNode: target.node, workload: w.workload });
    const p = promised.get(target.node) ?? { instances: 0, memoryBytes: 0, usedBytes: 0 };
    const copies = named ? 2 : 1;
    promised.set(target.node, {
      instances: p.instances + copies,
      memoryBytes: p.memoryBytes + copies * w.memoryBytes,
      usedBytes: p.usedBytes + (w.usedBytes ?? w.memoryBytes),
    });
    needed -= bytes;
  }
  if (decisions.length > 0) {
    // Those passed over are said once, on the first decision.
    const first = decisions[0];
    if (first) first.passedOver = passedOver;
    return decisions;
  }
  if (budget === "SOURCE_BUDGET") {
    return none(
      budget,
      `${what}: ${flight.from(condition.node)} migration(s) off ${condition.node} under way, at most ${config.limits.perSource} at once`,
      passedOver,
    );
  }
  if (budget === "TOTAL_BUDGET") {
    return none(
      budget,
      `${what}: ${flight.total} migration(s) under way in all, at most ${total} at once`,
      passedOver,
    );
  }
  return none(
    "NO_TARGET",
    `${what}: no node can take any of the ${candidates.length} workload(s) that may move`,
    passedOver,
  );
}

/** The migrations under way on a node of this policy (as a source or as a target). */
function countedMigrations(input: DecisionInput): DecisionInput["migrations"] {
  const ours = new Set(
    input.snapshot.nodes
      .map((n) => n.node)
      .filter((n) => input.config.nodes.length === 0 || input.config.nodes.includes(n)),
  );
  return input.migrations.filter((m) => ours.has(m.sourceNode) || ours.has(m.targetNode));
}

function about(c: Condition) {
  return { node: c.node, kind: c.kind, value: c.value, threshold: c.threshold };
}

/** Why a workload stays where it is whatever the budgets, or undefined. */
function holdBack(w: WorkloadSignal, input: DecisionInput, flight: InFlight): string | undefined {
  const optOut = optOutOf(w.labels);
  if (optOut) return optOut;
  const running = flight.of(w.workload);
  if (running) return `migrating already (${running.migrationId})`;
  const ended = lastEnded(input.migrations, w.workload);
  if (ended !== undefined) {
    const left = ended + input.config.cooldownMs - input.now.getTime();
    if (left > 0) {
      return `moved ${Math.round((input.now.getTime() - ended) / 1000)} s ago, cooldown ${Math.round(input.config.cooldownMs / 1000)} s`;
    }
  }
  return undefined;
}

function relief(w: WorkloadSignal): number {
  return w.usedBytes ?? w.memoryBytes;
}

/**
 * Bytes the node must get back: under memory pressure, down to its low mark, less what the
 * workloads leaving it already use; under PSI, which says nothing of bytes, one workload at a
 * time (nothing while one leaves); a cordon or a drain, everything.
 */
function reliefNeeded(condition: Condition, input: DecisionInput, flight: InFlight): number {
  const node = input.snapshot.nodes.find((n) => n.node === condition.node);
  const leaving = input.migrations
    .filter((m) => m.active && m.sourceNode === condition.node)
    .map((m) => input.snapshot.workloads.find((w) => w.workload === m.workload))
    .reduce((sum, w) => sum + (w ? relief(w) : 0), 0);
  if (condition.kind === "memory" && node?.memory) {
    return node.memory.usedBytes - input.config.memory.low * node.memory.limitBytes - leaving;
  }
  if (condition.kind === "psi" || condition.kind === "memory") {
    return flight.from(condition.node) > 0 ? 0 : Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

function describe(c: Condition): string {
  switch (c.kind) {
    case "memory":
      return `${c.node} uses ${pct(c.value)} of its memory (high mark ${pct(c.threshold)})`;
    case "psi":
      return `${c.node}'s memory PSI is ${c.value.toFixed(1)}% (high mark ${c.threshold}%)`;
    case "drain":
      return `${c.node} is draining`;
    case "cordon":
      return `${c.node} is cordoned`;
    default:
      return `${c.node} is under ${c.kind} pressure`;
  }
}

function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
