/**
 * @shadow/workload: the SDK a stateful Kafka service links (consume loop with state and
 * offsets together, restore detection, shadow mode, the fence at a cut), plus the example
 * service, the load generator, the verifier and the probe used to measure migrations.
 */

export { createTopicsWithLeaders } from "@shadow/events";
export type { ControlChannel, ControlEvent, ControlHandler } from "./control/channel.ts";
export { type ExampleConfig, loadExampleConfig } from "./example/config.ts";
export { createExampleService, type ExampleService } from "./example/service.ts";
export type { ExampleState } from "./example/state.ts";
export {
  generateLoad,
  type LoadHandle,
  type LoadOptions,
  type LoadResult,
  startLoad,
  wallClock,
} from "./loadgen/generator.ts";
export { type InputMessage, inputMessage, type OutputMessage, outputMessage } from "./messages.ts";
export {
  type Probe,
  type ProbeReport,
  type ProbeResult,
  startProbe,
  summarizeProbes,
} from "./probe/probe.ts";
export { ConnectionGate } from "./sdk/connection-gate.ts";
export { deadLetterHeaders } from "./sdk/dead-letter.ts";
export { StaleSessionError } from "./sdk/errors.ts";
export {
  controlGroupId,
  DEFAULT_IDENTITY_PATH,
  type Identity,
  identitySchema,
  inputGroupId,
  readIdentity,
} from "./sdk/identity.ts";
export { IdentityWatcher } from "./sdk/identity-watcher.ts";
export { createStatusApp, listen } from "./sdk/status-app.ts";
export { createWorkload, type Workload, type WorkloadOptions } from "./sdk/workload.ts";
export type * from "./types.ts";
export {
  type ConsumingSince,
  type ConsumingSpan,
  copyOf,
  type Downtime,
  type Pause,
  type VerifyOptions,
  type VerifyReport,
  verify,
} from "./verifier/analyze.ts";
export { readRun, readTopic } from "./verifier/read.ts";
export type { MigrationWindow, RunRecords, TopicRecord } from "./verifier/records.ts";
export { summarize } from "./verifier/summary.ts";
