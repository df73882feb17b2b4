export { busClient, busRetry } from "./bus-client.ts";
export { type HostEnv, hostEnv, loadConfig } from "./config.ts";
export { busTopics, ensureBusTopics, MIGRATION_PARTITIONS } from "./ensure-topics.ts";
export { initGroupOffsets } from "./group-offsets.ts";
export { type HealthReport, type HealthStatus, healthReport } from "./health.ts";
export { LedgerGate } from "./ledger-gate.ts";
export {
  followMigrationsLog,
  type MigrationsLogFeed,
  type MigrationsLogReader,
} from "./migrations-log-feed.ts";
export { type RunningService, runService, type ServiceDefinition } from "./run-service.ts";
export { type Host, type HostDefinition, type HostedWork, startHost } from "./start-host.ts";
export { stepEnv } from "./step-env.ts";
