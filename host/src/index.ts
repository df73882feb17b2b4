export { type HostEnv, hostEnv, loadConfig } from "./config.ts";
export { busTopics, ensureBusTopics, MIGRATION_PARTITIONS } from "./ensure-topics.ts";
export { LedgerGate } from "./ledger-gate.ts";
export { type RunningService, runService, type ServiceDefinition } from "./run-service.ts";
