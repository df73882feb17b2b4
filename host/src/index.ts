export { type HostEnv, hostEnv, loadConfig } from "./config.ts";
export { type RunningService, runService, type ServiceDefinition } from "./run-service.ts";
