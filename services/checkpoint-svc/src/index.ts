export type { CheckpointDeps } from "./deps.ts";
export { onIdentitySwapRequested } from "./handlers/identity-swap-requested.ts";
export { onMigrationRequested } from "./handlers/migration-requested.ts";
export { checkpointHandlers, serviceName } from "./service.ts";
