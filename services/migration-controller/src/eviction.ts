import type { V1Pod } from "@kubernetes/client-node";
import { optOutOf } from "@shadow/contract";
import { z } from "zod";
import { workloadOf } from "./decide.ts";
import { DRAIN_LABEL, type DrainMigration, drainMigrationName } from "./drain.ts";
import { apiVersion, migrationResource } from "./resource.ts";

/**
 * The answer to an eviction that shadow turns into a migration: the descheduler's
 * EvictionsInBackground convention (KubeVirt answers a live-migrated VM's eviction the same way),
 * with 429 so that `kubectl drain` retries it and finds the pod gone once it has moved.
 */
export const EVACUATION_MESSAGE = "Eviction triggered evacuation";

/** The part of a pods/eviction AdmissionReview (admission.k8s.io/v1) the decision reads. */
export const evictionReviewSchema = z.object({
  apiVersion: z.literal("admission.k8s.io/v1"),
  kind: z.literal("AdmissionReview"),
  request: z.object({
    uid: z.string().min(1),
    /** The pod's name (an eviction is a subresource of its pod). */
    name: z.string().min(1),
    namespace: z.string().optional(),
    dryRun: z.boolean().optional(),
  }),
});
export type EvictionReview = z.infer<typeof evictionReviewSchema>;

export interface EvictionDecision {
  allowed: boolean;
  /** Why, for the log (and the refusal's message when not allowed). */
  why: string;
  /** The Migration to create: none for an allowed eviction or a dry run. */
  migration?: DrainMigration;
}

/**
 * Whether an eviction of `pod` goes ahead. A pod of a workload shadow migrates, running on a
 * node, in the namespace it serves and not opted out, is not evicted: a Migration moves it off
 * its node instead. Its name is the one a drain's cordon gives (drain.ts), so `kubectl drain`,
 * which cordons and then evicts, asks for one migration, not two; a repeated eviction (drain
 * retries every 5 s) makes no second one either: the API server refuses the copy.
 */
export function decideEviction(
  review: EvictionReview,
  pod: V1Pod | undefined,
  namespace: string,
): EvictionDecision {
  const name = review.request.name;
  if (!pod) return { allowed: true, why: `pod ${name} is not known here` };
  if (pod.metadata?.namespace !== namespace)
    return { allowed: true, why: `pod ${name} is not in ${namespace}` };
  if (!workloadOf(pod)) return { allowed: true, why: `pod ${name} is not a shadow workload's` };
  const optOut = optOutOf({ ...pod.metadata?.annotations, ...pod.metadata?.labels });
  if (optOut) return { allowed: true, why: `pod ${name} is ${optOut}` };
  const node = pod.spec?.nodeName;
  if (!node || pod.status?.phase !== "Running" || pod.metadata?.deletionTimestamp)
    return { allowed: true, why: `pod ${name} is not running on a node` };
  const why = `${EVACUATION_MESSAGE}: pod ${name} is migrated off ${node} instead`;
  if (review.request.dryRun) return { allowed: false, why };
  return {
    allowed: false,
    why,
    migration: {
      apiVersion,
      kind: migrationResource.kind,
      metadata: {
        name: drainMigrationName(node, name),
        namespace,
        labels: { [DRAIN_LABEL]: node },
      },
      spec: { pod: name, reason: `pod ${name} was evicted from ${node}` },
    },
  };
}

/** The AdmissionReview the API server gets back (a refusal says `message`). */
export function evictionResponse(
  review: EvictionReview,
  decision: Pick<EvictionDecision, "allowed">,
  message = EVACUATION_MESSAGE,
) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: {
      uid: review.request.uid,
      allowed: decision.allowed,
      ...(decision.allowed ? {} : { status: { code: 429, reason: "TooManyRequests", message } }),
    },
  };
}
