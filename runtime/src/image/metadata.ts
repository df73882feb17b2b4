import { z } from "zod";

/**
 * The checkpoint metadata record: what the target must offer to restore the image. Written
 * into the manifest's annotations (`io.shadow.checkpoint.metadata`), so preflight reads it
 * from the manifest alone, before any layer is downloaded; the manifest's digest covers it.
 */
export const checkpointMetadataSchema = z.object({
  schema: z.literal(1),
  migrationId: z.string().min(1),
  /** The checkpointed instance's name (also the CRI-O checkpoint name annotation). */
  name: z.string().min(1),
  workload: z.string().optional(),
  sourceNode: z.string().min(1),
  createdAt: z.string(),
  /** CRIU that wrote the images, e.g. "4.2" or "4.2.1". */
  criuVersion: z.string().min(1),
  /** Source kernel release (`uname -r`). */
  kernel: z.string().min(1),
  /** OCI architecture name (amd64, arm64). */
  arch: z.string().min(1),
  /** CPU feature flags of the source (/proc/cpuinfo): restored code may use any of them. */
  cpuFlags: z.array(z.string()),
  /** Memory the dumped process tree used: the target must have this much free. */
  memoryBytes: z.number().int().nonnegative(),
  /** Bytes of the dump directory once unpacked: the target's disk must hold them. */
  dumpBytes: z.number().int().nonnegative(),
  /** The OCI runtime that took the checkpoint. */
  runtime: z.string().default("runc"),
  /** The root file system the container ran from (CRI-O's rootfsImageName). */
  rootfsImageName: z.string().optional(),
  /** The pod the container ran in, when it ran in one (Kubernetes). */
  pod: z.object({ name: z.string().min(1), namespace: z.string().min(1) }).optional(),
  /** Who took the checkpoint: the kubelet's runtime, or shadow's own (`shadow`). */
  engine: z.string().optional(),
});
export type CheckpointMetadata = z.infer<typeof checkpointMetadataSchema>;

/** What a caller supplies; the builder fills in the rest (schema, dump size, time). */
export type CheckpointMetadataInput = Omit<
  CheckpointMetadata,
  "schema" | "dumpBytes" | "createdAt" | "runtime"
> & { runtime?: string; createdAt?: string };
