import { z } from "zod";
import { defineEvent, instanceRef, migrationBase, nodeName } from "./define.ts";

/**
 * A user, the CLI, a Kafka producer, pressure-svc or a Kubernetes Migration resource (its
 * controller) asks for a migration. Starts the trace.
 */
export const MigrationRequested = defineEvent(
  "io.shadow.migration.requested.v1",
  migrationBase.extend({
    source: instanceRef,
    /** The chosen target node; the gateway resolves "pick one" before emitting. */
    targetNode: nodeName,
    requestedBy: z.enum(["http", "cli", "kafka", "pressure", "kubernetes"]),
    reason: z.string().max(500).optional(),
  }),
);

/** pressure-svc saw a node come under pressure; keyed by node, not by migration. */
export const NodePressureDetected = defineEvent(
  "io.shadow.node.pressure.detected.v1",
  z.object({
    node: nodeName,
    kind: z.enum(["memory", "disk", "psi", "cordon", "drain"]),
    value: z.number(),
    threshold: z.number(),
    observedAt: z.string().datetime(),
  }),
);
