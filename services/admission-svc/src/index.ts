export type { AdmissionDeps } from "./deps.ts";
export { onMigrationRequested } from "./handlers/migration-requested.ts";
export { admissionHandlers, serviceName } from "./service.ts";
