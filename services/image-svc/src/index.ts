export type { ImageDeps } from "./deps.ts";
export { onCheckpointCreated } from "./handlers/checkpoint-created.ts";
export { createImageService, serviceName } from "./service.ts";
