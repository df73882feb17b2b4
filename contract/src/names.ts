import { z } from "zod";

/**
 * The names both sides write and read: in the identity file, in the status body and in every
 * migration event. A workload name and a node name are DNS labels, so they fit wherever an
 * orchestrator puts them (a pod name, a host name).
 */
export const migrationId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, "migration id: letters, digits, . _ : -");
export const nodeName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "node name: a DNS label");
export const workloadName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "workload name: a DNS label");
export const instanceId = z.string().min(1).max(128);

/** A position in the workload's input log. `offset` is the last offset processed (-1: none). */
export const partitionOffset = z.object({
  /** At most 249 characters: Kafka's own limit on a topic name. */
  topic: z.string().min(1).max(249),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().min(-1),
});

export type PartitionOffset = z.infer<typeof partitionOffset>;
