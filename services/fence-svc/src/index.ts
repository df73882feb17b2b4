export { fenceIdOf } from "./fence-id.ts";
export { onFencePassed } from "./handlers/fence-passed.ts";
export { onMigrationFailed } from "./handlers/migration-failed.ts";
export { onShadowCaughtUp } from "./handlers/shadow-caught-up.ts";
export { fenceHandlers, serviceName } from "./service.ts";
