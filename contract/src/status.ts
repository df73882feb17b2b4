import { z } from "zod";
import { identitySchema } from "./identity.ts";
import { partitionOffset } from "./names.ts";

/**
 * What a workload does with the records it reads:
 * - `primary`: processes and produces.
 * - `shadow`: processes, holds its outputs back until the fence's cut says whose they are.
 * - `fenced`: the source after its cut: alive, answering HTTP, consuming nothing.
 * - `idle`: consuming nothing (a shadow after a rollback, or no readable identity).
 */
export const workloadMode = z.enum(["primary", "shadow", "fenced", "idle"]);
export type WorkloadMode = z.infer<typeof workloadMode>;

const count = z.number().int().nonnegative();
const timestamp = z.string().datetime();
const topicPartition = z.object({ topic: z.string().min(1), partition: count });

/**
 * `GET /status`, the part every workload serves and the platform reads: who it is, what it
 * does, how far it has processed each partition (restore-svc's catch-up and the gateway's
 * live lag compare two instances' `processed`), and whether its input and control consumers
 * are reading. Fields beyond these are allowed and ignored.
 */
export const statusBody = z.object({
  /** null while the identity file cannot be read. */
  identity: identitySchema.nullable(),
  mode: workloadMode,
  /** The last offset processed per partition; partitions with nothing processed are absent. */
  processed: z.array(partitionOffset),
  /** The input consumer has joined and holds its assignment. */
  inputReady: z.boolean(),
  /** The control consumer reads the control topic: a fence request would be seen now. */
  controlReady: z.boolean(),
});
export type StatusBody = z.infer<typeof statusBody>;

export const workloadCounts = z.object({
  processed: count,
  produced: count,
  held: count,
  discarded: count,
  deadLettered: count,
  duplicatesSkipped: count,
  refused: count,
  staleDeliveries: count,
  identityChanges: count,
  /** Inherited unacknowledged outputs found in the log after a restore, and not produced again. */
  readBackDropped: count,
  /** Times a primary stopped consuming because maxPendingOutputs were unacknowledged. */
  outputPauses: count,
  sessions: count,
  /** Connections the gate refused to stale (or identity-less) Kafka clients. */
  refusedConnections: count,
});
export type WorkloadCounts = z.infer<typeof workloadCounts>;

/** A shadow's side of a fence. */
export const handoverTiming = z.object({
  fenceId: z.string().min(1),
  migrationId: z.string().min(1),
  /** The source paused its input (from the FenceCut). */
  pausedAt: timestamp,
  /** This shadow read the cut. */
  cutReceivedAt: timestamp,
  /** Processed up to the cut on every partition and published FencePassed. */
  passedAt: timestamp.optional(),
  /** Read its own FencePassed back with no abort before it: producing from here on. */
  primaryAt: timestamp.optional(),
  /** Source paused → shadow producing past the cut (two clocks: may be off by their skew). */
  handoverMs: z.number().optional(),
  /** Held-back outputs dropped because the source had produced them (at or below the cut). */
  discardedAtCut: count,
  /** Held-back outputs emitted at the switch to primary (beyond the cut). */
  releasedAtSwitch: count,
});
export type HandoverTiming = z.infer<typeof handoverTiming>;

/** A source's side of a fence. */
export const sourceFenceStatus = z.object({
  fenceId: z.string().min(1),
  migrationId: z.string().min(1),
  pausedAt: timestamp,
  cutAt: timestamp.optional(),
  cut: z.array(partitionOffset),
  /** The shadow's FencePassed was read for this fence: it is primary now. */
  passedSeen: z.boolean(),
  aborted: z.boolean(),
});
export type SourceFenceStatus = z.infer<typeof sourceFenceStatus>;

/**
 * The workload SDK's whole `GET /status`: the required body plus its fence, handover,
 * progress and counters, for people and tools watching a migration.
 */
export const workloadStatus = statusBody.extend({
  /** Between FenceRequested and the published cut. */
  fencing: z.boolean(),
  paused: z.boolean(),
  /** The Kafka session's generation: it grows whenever the clients are replaced. */
  epoch: count,
  committed: z.array(partitionOffset),
  /** The previous identity's (the source's) committed progress, read while a shadow. */
  sourceCommitted: z.array(partitionOffset),
  /** Records the source has processed that this shadow has not, by its committed offsets. */
  lagBehindSource: count.nullable(),
  assigned: z.array(topicPartition),
  heldBack: z.object({ size: count, max: count }),
  inFlightOutputs: count,
  counts: workloadCounts,
  sourceFence: sourceFenceStatus.nullable(),
  handover: handoverTiming.nullable(),
  startedAt: timestamp,
});
export type WorkloadStatus = z.infer<typeof workloadStatus>;
