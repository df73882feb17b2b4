export type { InstanceProgress, RestoreDeps } from "./deps.ts";
export { onCheckpointImageReady } from "./handlers/checkpoint-image-ready.ts";
export { onLateImage } from "./handlers/late-image.ts";
export { onMigrationFailed } from "./handlers/migration-failed.ts";
export { CatchUpTimeoutError, onShadowRestored } from "./handlers/shadow-restored.ts";
export { restoredIdentity } from "./identity.ts";
export { restoreAfterEnd, restoreHandlers, serviceName } from "./service.ts";
export { servingCopy } from "./serving-copy.ts";
