export type { ImageDeps } from "./deps.ts";
export { onCheckpointCreated } from "./handlers/checkpoint-created.ts";
export { onMigrationEnded } from "./handlers/migration-ended.ts";
export { imageHandlers, serviceName } from "./service.ts";
