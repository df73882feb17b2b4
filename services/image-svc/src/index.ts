export type { ImageDeps } from "./deps.ts";
export { onCheckpointCreated } from "./handlers/checkpoint-created.ts";
export { onLateCheckpoint } from "./handlers/late-checkpoint.ts";
export { imageAfterEnd, imageHandlers, serviceName } from "./service.ts";
