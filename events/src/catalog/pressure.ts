import { z } from "zod";
import { defineEvent, instanceId, migrationId, nodeName, workloadName } from "./define.ts";

/** What put a node under pressure (the kinds of NodePressureDetected). */
export const pressureKind = z.enum(["memory", "disk", "psi", "cordon", "drain"]);

/**
 * Why pressure-svc's policy decided what it did. `MIGRATE` starts a migration (or would, in a
 * dry run); every other code is a decision that nothing moves, and says why.
 */
export const decisionCode = z.enum([
  "MIGRATE",
  /** Nothing on the node may move: empty, opted out, cooling down or migrating already. */
  "NO_CANDIDATE",
  /** No other node has room without coming under pressure itself, or takes no instances. */
  "NO_TARGET",
  /** As many migrations off this node as allowed are under way. */
  "SOURCE_BUDGET",
  /** As many migrations in the whole cluster as allowed are under way. */
  "TOTAL_BUDGET",
  /** A blackout window is open. */
  "BLACKOUT",
  /** Automatic migrations are disabled on this node. */
  "NODE_DISABLED",
  /** Enough is leaving already to bring the node below its low mark. */
  "RELIEF_UNDER_WAY",
  /** The condition no longer held when the policy looked again. */
  "CLEARED",
]);

/**
 * pressure-svc's policy answered a NodePressureDetected: one migration it starts (with its
 * reason), or nothing, and why. Keyed by node, on the pressure topic; a decision that starts a
 * migration is emitted in the same trace as its MigrationRequested.
 */
export const PressureDecided = defineEvent(
  "io.shadow.node.pressure.decided.v1",
  z.object({
    node: nodeName,
    kind: pressureKind,
    code: decisionCode,
    reason: z.string().min(1).max(2000),
    /** Decided, not acted on: the policy runs in dry-run mode. */
    dryRun: z.boolean(),
    decidedAt: z.string().datetime(),
    /** The reading that put the node under pressure, and the mark it crossed. */
    value: z.number(),
    threshold: z.number(),
    migration: z
      .object({
        migrationId,
        workload: workloadName,
        instance: instanceId,
        targetNode: nodeName,
        /** Memory the node gets back when the workload has left. */
        reliefBytes: z.number().int().nonnegative(),
      })
      .optional(),
    /** Workloads of the node that were passed over, and why (at most 50). */
    passedOver: z
      .array(z.object({ workload: workloadName, why: z.string().min(1).max(200) }))
      .max(50)
      .optional(),
  }),
);
