export type { DrainDeps } from "./deps.ts";
export { onFenceCompleted } from "./handlers/fence-completed.ts";
export { drainHandlers, serviceName } from "./service.ts";
