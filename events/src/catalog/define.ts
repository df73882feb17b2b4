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

/**
 * Bounds for the free-form fields of every event. Nothing on the bus is meant to be large: a
 * field beyond these is a broken or hostile producer, and its event a dead letter.
 */
export const limits = {
  /** Ids a step makes up (a checkpoint, a fence) and short machine codes. */
  id: 256,
  /** An image reference: registry host, repository and tag or digest. */
  ref: 1024,
  /** A person's reason or an error message. */
  reason: 2000,
  /** Offsets per list: one per partition the workload reads. */
  partitions: 10_000,
} as const;

/** A short id or code made by a service (a checkpoint id, a fence id, an error code). */
export const shortId = z.string().min(1).max(limits.id);
export const reasonText = z.string().min(1).max(limits.reason);
/** Kafka's own limit on a topic name. */
export const topicName = z.string().min(1).max(249);

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

/** The offsets of one cut or one reading, a bounded list. */
export const offsetList = z.array(partitionOffset).max(limits.partitions);

export const imageTransfer = z.enum(["stream", "registry", "node-to-node"]);

/** Who asked for a migration. */
export const requestedBy = z.enum(["http", "cli", "kafka", "pressure", "kubernetes"]);

/**
 * Carried by every migration event, so each service can act on one event without a store:
 * handlers copy these fields from the event they react to.
 */
export const migrationBase = z.object({
  migrationId,
  workload: workloadName,
  strategy,
  identitySwap: z.boolean(),
  requestedAt: z.string().datetime(),
  /**
   * How the checkpoint reaches the target: streamed (the OCI image built after the handoff),
   * through the registry, or copied node to node. Absent: the runtime's default.
   */
  imageTransfer: imageTransfer.optional(),
  /**
   * The migration only gives the workload its own name back on the node it serves on: it runs
   * there under another name (a shadow's, after a migration without identity swap or one whose
   * round 2 could not complete), and this migration is an identity swap's round 2 alone, from
   * that instance to one named after the workload. Its request names the node it serves on as
   * the target, and `identitySwap: true`.
   */
  nameRestore: z.boolean().optional(),
});
