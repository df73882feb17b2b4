import { FenceCompleted, type Handlers } from "@shadow/events";
import type { DrainDeps } from "./deps.ts";
import { onFenceCompleted } from "./handlers/fence-completed.ts";

export const serviceName = "drain-svc";

/** drain-svc: removes the source once the fence is complete, and starts the identity swap. */
export const drainHandlers: Handlers<DrainDeps> = {
  [FenceCompleted.type]: onFenceCompleted,
};
