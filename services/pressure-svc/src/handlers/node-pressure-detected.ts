import { trace } from "@opentelemetry/api";
import {
  type IncomingEvent,
  MigrationRequested,
  type NodePressureDetected,
  type OutgoingEvent,
  outgoing,
  PressureDecided,
} from "@shadow/events";
import type { PressureDeps } from "../deps.ts";
import { migrationIdFor } from "../migration-id.ts";
import { decide } from "../policy/decide.ts";
import type { Decision } from "../policy/types.ts";

const tracer = trace.getTracer("@shadow/pressure-svc");

/**
 * A node is under pressure: the policy decides what leaves it, now. Emits one PressureDecided
 * per decision (a migration it starts, or nothing and why) and, unless in dry run, the
 * MigrationRequested of each migration it starts, in the same trace.
 *
 * What is under way is read from the log, up to its end, before deciding: this service's own
 * requests of a moment ago included. A signal this watcher no longer sees (it cleared, or it
 * is replayed after a restart, or it concerns a node outside this policy's) decides nothing.
 */
export async function onNodePressureDetected(
  event: IncomingEvent<typeof NodePressureDetected.type>,
  deps: PressureDeps,
): Promise<OutgoingEvent[]> {
  const { node, kind } = event.data;
  const conditions = deps.conditions();
  const condition = conditions.find((c) => c.node === node && c.kind === kind);
  if (!condition) {
    deps.logger?.info({ node, kind }, "pressure signal no longer holds here: nothing to decide");
    return [];
  }
  const [migrations, snapshot] = await Promise.all([deps.log.upToDate(), deps.signals.snapshot()]);
  const now = deps.now();
  const decisions = decide({
    condition,
    conditions,
    snapshot,
    migrations,
    config: deps.config,
    now,
    migrationIdFor: (workload) => migrationIdFor(event, workload),
  });
  return decisions.flatMap((decision) => emitted(decision, deps, now));
}

function emitted(decision: Decision, deps: PressureDeps, now: Date): OutgoingEvent[] {
  const { dryRun } = deps.config;
  const m = decision.migration;
  // The decision's own span, in the trace of the signal and of the migration it starts.
  tracer
    .startSpan("pressure decision", {
      attributes: {
        "shadow.node": decision.node,
        "shadow.pressure.kind": decision.kind,
        "shadow.decision.code": decision.code,
        "shadow.decision.reason": decision.reason,
        "shadow.decision.dry_run": dryRun,
        ...(m
          ? {
              "shadow.migration.id": m.migrationId,
              "shadow.workload": m.workload,
              "shadow.node.target": m.targetNode,
            }
          : {}),
      },
    })
    .end();
  deps.logger?.info(
    {
      node: decision.node,
      kind: decision.kind,
      code: decision.code,
      dryRun,
      ...(m ? { migrationId: m.migrationId, workload: m.workload, targetNode: m.targetNode } : {}),
    },
    decision.reason,
  );
  const events = [
    outgoing(PressureDecided, {
      node: decision.node,
      kind: decision.kind,
      code: decision.code,
      reason: decision.reason,
      dryRun,
      decidedAt: now.toISOString(),
      value: decision.value,
      threshold: decision.threshold,
      ...(m
        ? {
            migration: {
              migrationId: m.migrationId,
              workload: m.workload,
              instance: m.instance,
              targetNode: m.targetNode,
              reliefBytes: m.reliefBytes,
            },
          }
        : {}),
      ...(decision.passedOver.length > 0 ? { passedOver: decision.passedOver.slice(0, 50) } : {}),
    }),
  ];
  if (m && !dryRun) events.push(outgoing(MigrationRequested, m.request));
  return events;
}
