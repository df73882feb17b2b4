/**
 * @shadow/testkit: what measures a migration, never shipped with the SDK: the example stateful
 * service (built on @shadow/workload), the load generator, the verifier and the probe. The
 * harness, the tests and the benchmarks use it; no product package may.
 */

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
