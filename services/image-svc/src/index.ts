export type { ImageDeps } from "./deps.ts";
export { onCheckpointCreated } from "./handlers/checkpoint-created.ts";
export { imageHandlers, serviceName } from "./service.ts";
