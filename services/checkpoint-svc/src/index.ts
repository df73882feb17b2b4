export type { CheckpointDeps } from "./deps.ts";
export { onIdentitySwapRequested } from "./handlers/identity-swap-requested.ts";
export { onMigrationAdmitted } from "./handlers/migration-admitted.ts";
export { checkpointHandlers, serviceName } from "./service.ts";
