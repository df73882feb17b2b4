export type { ImageDeps } from "./deps.ts";
export { onCheckpointCreated } from "./handlers/checkpoint-created.ts";
export { onLateCheckpoint } from "./handlers/late-checkpoint.ts";
export { onMigrationEnded } from "./handlers/migration-ended.ts";
export { imageAfterEnd, imageHandlers, serviceName } from "./service.ts";
