import type { rejectionCode } from "@shadow/events";
import type { z } from "zod";

export type RejectionCode = z.infer<typeof rejectionCode>;

/** A request refused, and why, in words a person can act on. */
export interface Refusal {
  code: RejectionCode;
  reason: string;
  /** The migration under way, for ALREADY_MIGRATING. */
  runningMigrationId?: string;
}

/**
 * The label by which a workload declares it can take part in a ShadowPod handoff: it links the
 * workload SDK, which holds a restored copy's outputs back until the fence and pauses at a cut.
 * Set on the instance spec (`WorkloadSpec.labels`); a restored copy keeps its source's spec.
 */
export const FENCE_LABEL = "shadow.io/fence";

/** Can this instance hold its outputs back as a shadow and pause at a fence? */
export function canFence(instance: { labels?: Record<string, string> | undefined }): boolean {
  return instance.labels?.[FENCE_LABEL] === "true";
}

/** The refusal of a request made while another migration of its workload was under way. */
export function busyRefusal(workload: string, running: string): Refusal {
  return {
    code: "ALREADY_MIGRATING",
    reason: `workload ${workload} is already migrating: ${running} is under way, and the log admits one migration of a workload at a time`,
    runningMigrationId: running,
  };
}

/** What the runtime says, when admission asks, about the places a request names. */
export interface PlacementFacts {
  /** The request's source instance, if the runtime has one by that name. */
  source:
    | {
        instance: string;
        workload: string;
        node: string;
        state: string;
        labels?: Record<string, string> | undefined;
      }
    | undefined;
  nodes: readonly { name: string; ready: boolean; pressure: { cordoned: boolean } }[];
  /**
   * For a name restore: the instance that already holds the workload's name, if the runtime has
   * one (the restore would have to recreate it).
   */
  named?: { instance: string; node: string; state: string } | undefined;
}

export interface AdmissionRequest {
  workload: string;
  strategy: "shadow" | "sequential";
  source: { instance: string; node: string };
  targetNode: string;
  identitySwap?: boolean | undefined;
  nameRestore?: boolean | undefined;
}

/**
 * Why the runtime cannot take this request, or nothing when it can: the source must run where
 * the request says, the target must be another node that takes instances (for a name restore,
 * the source's own node), and a ShadowPod
 * migration needs a workload that can fence (else its restored copy would be a second live
 * copy beside the source, both acting on their inputs). Pure, so admission-svc and the
 * gateway refuse alike and with the same words.
 */
export function placementRefusal(
  request: AdmissionRequest,
  facts: PlacementFacts,
): Refusal | undefined {
  const { source } = facts;
  const named = `${request.source.instance} on ${request.source.node}`;
  if (!source || source.workload !== request.workload || source.state !== "running") {
    return {
      code: "UNKNOWN_INSTANCE",
      reason: `no running instance ${named} of workload ${request.workload}`,
    };
  }
  if (source.node !== request.source.node) {
    return {
      code: "UNKNOWN_INSTANCE",
      reason: `instance ${request.source.instance} runs on ${source.node}, not ${request.source.node}`,
    };
  }
  const target = facts.nodes.find((n) => n.name === request.targetNode);
  if (!target) return { code: "UNKNOWN_NODE", reason: `unknown node ${request.targetNode}` };
  if (request.nameRestore) {
    // A cordon keeps new workloads off a node; this one serves there already, under a name.
    const refusal = nameRestoreRefusal(request, source, target, facts.named);
    if (refusal) return refusal;
  } else if (target.name === source.node) {
    return { code: "SAME_NODE", reason: `the workload already runs on ${request.targetNode}` };
  } else if (!target.ready || target.pressure.cordoned) {
    return {
      code: "NODE_UNSCHEDULABLE",
      reason: `node ${request.targetNode} is not schedulable`,
    };
  }
  if (request.strategy === "shadow" && !canFence(source)) {
    return {
      code: "CANNOT_FENCE",
      reason: `workload ${request.workload} cannot take part in a shadow migration: it does not declare ${FENCE_LABEL}=true (it does not link the workload SDK), so its restored copy would run as a second live copy beside it. Migrate it with strategy "sequential" (or "auto", which picks it)`,
    };
  }
  return undefined;
}

/**
 * Why a name restore cannot run: it gives a workload serving under another name its own name
 * back where it serves, as an identity swap's round 2 (a ShadowPod handoff), so it needs that
 * node, a `shadow` identity swap, an instance not named after the workload, and the name free.
 */
function nameRestoreRefusal(
  request: AdmissionRequest,
  source: NonNullable<PlacementFacts["source"]>,
  target: PlacementFacts["nodes"][number],
  named: PlacementFacts["named"],
): Refusal | undefined {
  const refused = (reason: string): Refusal => ({ code: "NAME_RESTORE_REFUSED", reason });
  if (request.targetNode !== source.node) {
    return refused(
      `a name restore runs on the node the workload serves on (${source.node}), not ${request.targetNode}`,
    );
  }
  if (source.instance === request.workload) {
    return refused(`workload ${request.workload} already serves under its own name`);
  }
  if (request.strategy !== "shadow" || request.identitySwap !== true) {
    return refused(
      "a name restore is an identity swap's second round: it needs strategy shadow and identitySwap true",
    );
  }
  if (named && named.instance !== source.instance) {
    return refused(
      `instance ${named.instance} on ${named.node} (${named.state}) already holds the name ${request.workload}`,
    );
  }
  if (!target.ready) {
    return { code: "NODE_UNSCHEDULABLE", reason: `node ${request.targetNode} is not ready` };
  }
  return undefined;
}
