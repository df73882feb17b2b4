import { z } from "zod";
import { defineEvent, instanceRef, migrationBase, nodeName, requestedBy } from "./define.ts";

/**
 * A user, the CLI, a Kafka producer or pressure-svc asks for a migration. Starts the trace.
 * Nothing acts on it but admission-svc, which answers with MigrationAdmitted or
 * MigrationRejected. Its Kafka key must be the workload (see `partitionKeyOf`): that puts it in
 * the one partition that orders every migration of the workload.
 */
export const MigrationRequested = defineEvent(
  "io.shadow.migration.requested.v1",
  migrationBase.extend({
    source: instanceRef,
    /** The chosen target node; the gateway resolves "pick one" before emitting. */
    targetNode: nodeName,
    requestedBy,
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
