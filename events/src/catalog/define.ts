import { instanceId, migrationId, nodeName, partitionOffset, workloadName } from "@shadow/contract";
import { z } from "zod";

// Fields shared by the data of migration events (the subject is the migration id too). The
// names and positions are the ones a workload shares with the platform: the contract's.
export { instanceId, migrationId, nodeName, partitionOffset, workloadName };

/** A versioned CloudEvent type declared once: its reverse-DNS type string and its data schema. */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly schema: S;
}

export function defineEvent<const T extends string, S extends z.ZodType>(
  type: T,
  schema: S,
): EventDefinition<T, S> {
  if (!/^io\.shadow\.[a-z0-9.-]+\.v\d+$/.test(type)) {
    throw new Error(`event type ${type} is not of the form io.shadow.<name>.v<N>`);
  }
  return { type, schema };
}

export type DataOf<D> = D extends EventDefinition<string, infer S> ? z.infer<S> : never;

export const strategy = z.enum(["shadow", "sequential"]);

/** One side of a handoff: a running instance of the workload on a node. */
export const instanceRef = z.object({ instance: instanceId, node: nodeName });

/**
 * Which handoff of a migration an event belongs to. A plain ShadowPod migration has one
 * (round 1: source → shadow); with an identity swap a second one follows
 * (round 2: shadow → the recreated named instance).
 */
export const handoff = z.object({
  round: z.union([z.literal(1), z.literal(2)]),
  from: instanceRef,
  to: z.object({ instance: instanceId, node: nodeName }),
});

/**
 * Carried by every migration event, so each service can act on one event without a store:
 * handlers copy these fields from the event they react to.
 */
export const imageTransfer = z.enum(["registry", "node-to-node"]);

export const migrationBase = z.object({
  migrationId,
  workload: workloadName,
  strategy,
  identitySwap: z.boolean(),
  requestedAt: z.string().datetime(),
  /**
   * How the checkpoint image reaches the target: through the registry, or copied node to node.
   * Absent: the runtime's default.
   */
  imageTransfer: imageTransfer.optional(),
});
