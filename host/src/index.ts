export { busClient, busRetry } from "./bus-client.ts";
export { type HostEnv, hostEnv, loadConfig } from "./config.ts";
export { busTopics, ensureBusTopics } from "./ensure-topics.ts";
export { type RunningService, runService, type ServiceDefinition } from "./run-service.ts";
