import { shadowInstanceName } from "./naming.ts";
import type { InstancePlace } from "./view.ts";

export interface FirstHandoffOf {
  migrationId: string;
  workload: string;
  source: InstancePlace;
  targetNode: string;
  nameRestore?: boolean | undefined;
}

/**
 * The handoff a migration starts with, as its request decides it: round 1, from the source to a
 * shadow of its own name on the target; or, for a name restore, an identity swap's round 2 alone,
 * from the instance serving under another name to one named after the workload on its node.
 */
export function firstHandoff(request: FirstHandoffOf): {
  round: 1 | 2;
  from: InstancePlace;
  to: InstancePlace;
} {
  if (request.nameRestore) {
    return {
      round: 2,
      from: request.source,
      to: { instance: request.workload, node: request.targetNode },
    };
  }
  return {
    round: 1,
    from: request.source,
    to: {
      instance: shadowInstanceName(request.workload, request.migrationId),
      node: request.targetNode,
    },
  };
}
