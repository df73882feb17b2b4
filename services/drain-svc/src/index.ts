export type { DrainDeps } from "./deps.ts";
export { onFenceCompleted } from "./handlers/fence-completed.ts";
export { createDrainService, serviceName } from "./service.ts";
