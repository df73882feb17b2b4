import { FenceCompleted } from "@shadow/events";
import type { Incoming } from "@shadow/migration";
import type { DrainDeps } from "./deps.ts";
import { onFenceCompleted } from "./handlers/fence-completed.ts";

export const serviceName = "drain-svc";

/** drain-svc: removes the source once the fence is complete, and starts the identity swap. */
export function createDrainService(deps: DrainDeps) {
  return {
    [FenceCompleted.type]: (e: Incoming) => onFenceCompleted(e as never, deps),
  };
}
