/**
 * @shadow/workload: the SDK a stateful Kafka service links (consume loop with state and
 * offsets together, restore detection, shadow mode, the fence at a cut). The example service,
 * load generator, verifier and probe that measure migrations are @shadow/testkit's.
 */

export type { ControlChannel, ControlEvent, ControlHandler } from "./control/channel.ts";
export { type DecodedControl, decodeControl } from "./control/kafka-control-channel.ts";
export { type RangesToRead, readRanges } from "./kafka/read-ranges.ts";
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
export { createStatusApp, listen, type RunningServer } from "./sdk/status-app.ts";
export { createWorkload, type Workload, type WorkloadOptions } from "./sdk/workload.ts";
export type * from "./types.ts";
