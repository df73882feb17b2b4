export type { InstanceProgress, RestoreDeps } from "./deps.ts";
export { onCheckpointImageReady } from "./handlers/checkpoint-image-ready.ts";
export { onMigrationFailed } from "./handlers/migration-failed.ts";
export { CatchUpTimeoutError, onShadowRestored } from "./handlers/shadow-restored.ts";
export { restoredIdentity } from "./identity.ts";
export { InstanceGoneError } from "./instance-gone.ts";
export { lagBehindSource } from "./lag.ts";
export { restoreHandlers, serviceName } from "./service.ts";
