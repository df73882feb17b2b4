import { imageTransfer, nodeName, strategy, workloadName } from "@shadow/events";
import { z } from "zod";

/** The Migration custom resource (deploy/k8s/base/crd/migrations.yaml). */
export const migrationResource = {
  group: "shadow.io",
  version: "v1alpha1",
  plural: "migrations",
  kind: "Migration",
} as const;

export const apiVersion = `${migrationResource.group}/${migrationResource.version}`;

/**
 * While a Migration carries it, deleting the resource waits for the controller: a running
 * migration is rolled back first.
 */
export const ROLLBACK_FINALIZER = "shadow.io/rollback-on-delete";

/**
 * The spec as the controller trusts it. The CRD's schema checks the same on the API server; this
 * parse is the controller's own boundary (an older CRD, a direct etcd write).
 */
export const migrationSpec = z.object({
  pod: workloadName,
  targetNode: nodeName.optional(),
  strategy: strategy.default("shadow"),
  identitySwap: z.boolean().optional(),
  imageTransfer: imageTransfer.optional(),
  reason: z.string().max(500).optional(),
});

export type MigrationSpec = z.infer<typeof migrationSpec>;

export type StatusPhase =
  | "Pending"
  | "Requested"
  | "Running"
  | "Completed"
  | "Failed"
  | "RolledBack"
  | "Rejected";

interface Place {
  instance: string;
  node: string;
}

/** `.status`, as the CRD declares it: the migration's view from the log, for kubectl. */
export interface MigrationStatus {
  observedGeneration?: number;
  phase: StatusPhase;
  step?: string;
  message?: string;
  migrationId?: string;
  workload?: string;
  strategy?: string;
  identitySwap?: boolean;
  source?: Place;
  targetNode?: string;
  final?: Place;
  requestedAt?: string;
  finishedAt?: string;
  took?: string;
  totalMs?: number;
  phases?: {
    round: number;
    phase: string;
    startedAt: string;
    endedAt?: string;
    ms?: number;
    failed?: boolean;
  }[];
  lagBehindSource?: number;
  checkpointPauseMs?: number;
  handoverMs?: number;
  downtime?: string;
  downtimeMs?: number;
  failure?: { step: string; code: string; reason: string };
  /** `serving`: who serves after the rollback, when the log says. */
  rollback?: { reason: string; compensated: string[]; serving?: Place };
  rejection?: { code: string; reason: string };
  traceId?: string;
  traceLink?: string;
}

/** A Migration object as the informer hands it over. */
export interface MigrationObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    /** Dates as client-node types them; a custom object's arrive as the API's strings. */
    creationTimestamp?: Date;
    deletionTimestamp?: Date;
    finalizers?: string[];
  };
  spec?: unknown;
  status?: MigrationStatus;
}

/** The statuses after which nothing more happens to a migration. */
export function isFinal(phase: StatusPhase | undefined): boolean {
  return phase === "Completed" || phase === "RolledBack" || phase === "Rejected";
}

export function keyOf(m: { metadata: { namespace?: string; name?: string } }): string {
  return `${m.metadata.namespace ?? ""}/${m.metadata.name ?? ""}`;
}
