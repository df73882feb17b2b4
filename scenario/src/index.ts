export { choreographyServices, ensureLocalStack, type ServiceName } from "@shadow/supervisor";
export * from "./bench/index.ts";
export {
  createScenarioEnvironment,
  type EnvironmentOptions,
  type ScenarioEnvironment,
  type WorkloadEnvironment,
  workloadEnvironment,
} from "./environment.ts";
export { type ResolvedScenarioOptions, type ScenarioOptions, scenarioOptions } from "./options.ts";
export { formatReport, type ScenarioReport } from "./report.ts";
export {
  gateway,
  type MigrationRequest,
  runScenario,
  type ScenarioHooks,
  waitFor,
} from "./scenario.ts";
export { probeWorkload, type ServingReport } from "./workload-probe.ts";
