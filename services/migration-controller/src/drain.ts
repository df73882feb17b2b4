import { createHash } from "node:crypto";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { workloadOf } from "./decide.ts";
import { apiVersion, type MigrationSpec, migrationResource } from "./resource.ts";

/** Names the node a drain Migration moves a pod off (a label, so `kubectl get -l` finds them). */
export const DRAIN_LABEL = "shadow.io/drained-node";

/** A Migration the controller creates for a pod on a draining node. */
export interface DrainMigration {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Pick<MigrationSpec, "pod" | "reason">;
}

/**
 * `kubectl drain` cordons the node first, then evicts its pods. A pod shadow migrates is kept
 * from eviction by its workload's PodDisruptionBudget (the API answers 429 and drain retries);
 * meanwhile this turns the cordon into one Migration per such pod, to a node the controller picks.
 * Once a migration hands over, the source pod is gone and drain moves on.
 *
 * The Migration's name comes from the node and the pod alone, so every look at the same cordon
 * (a resync, a restarted controller, a second replica) creates the same object and the API server
 * refuses every copy but the first: nothing is asked for twice.
 */
export function drainMigrations(
  node: V1Node,
  pods: readonly V1Pod[],
  namespace: string,
): DrainMigration[] {
  const nodeName = node.metadata?.name;
  if (!nodeName || !node.spec?.unschedulable) return [];
  return pods
    .filter(
      (p) =>
        p.spec?.nodeName === nodeName &&
        p.metadata?.namespace === namespace &&
        p.status?.phase === "Running" &&
        !p.metadata?.deletionTimestamp &&
        workloadOf(p) !== undefined,
    )
    .map((p) => {
      const pod = p.metadata?.name ?? "";
      return {
        apiVersion,
        kind: migrationResource.kind,
        metadata: {
          name: drainMigrationName(nodeName, pod),
          namespace,
          labels: { [DRAIN_LABEL]: nodeName },
        },
        spec: { pod, reason: `node ${nodeName} is draining` },
      };
    });
}

/**
 * `drain-<pod>-<hash of node and pod>`: readable, within a name's 253 characters, and distinct
 * per node, as a pod that moved keeps its name (an identity swap) and may be drained again off
 * its next node.
 */
export function drainMigrationName(node: string, pod: string): string {
  const hash = createHash("sha256").update(`${node}/${pod}`).digest("hex").slice(0, 8);
  return `drain-${pod.slice(0, 200)}-${hash}`;
}
