export { createGateway } from "./app.ts";
export type { GatewayDeps } from "./deps.ts";
export { RequestRefused, statusOfRefusal } from "./errors.ts";
export { openApiDocument } from "./openapi.ts";
export { chooseTarget } from "./placement.ts";
export { type MigrationRequestBody, migrationRequestBody } from "./request.ts";
export {
  createMigration,
  DEFAULT_VERDICT_TIMEOUT_MS,
  type MigrationAccepted,
} from "./routes/create-migration.ts";
export { type PendingVerdict, Verdicts } from "./verdicts.ts";
export { overdueSteps, StepTimeoutError } from "./watchdog.ts";
