export { createGateway } from "./app.ts";
export type { GatewayDeps } from "./deps.ts";
export { RequestRefused } from "./errors.ts";
export { openApiDocument } from "./openapi.ts";
export { chooseTarget } from "./placement.ts";
export { type MigrationRequestBody, migrationRequestBody } from "./request.ts";
export { createMigration, type MigrationAccepted } from "./routes/create-migration.ts";
export { overdueSteps, StepTimeoutError } from "./watchdog.ts";
