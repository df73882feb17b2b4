/**
 * @shadow/contract: what a workload and the platform agree on, once, for both sides to import
 * (docs/protocol.md says the same in words, for workloads written in any language). Schemas
 * and pure functions only: no I/O.
 */

export { CONTROL_CLOCK_MARGIN_MS } from "./control.ts";
export { controlGroupId, inputGroupId } from "./groups.ts";
export { type HealthBody, healthBody } from "./health.ts";
export {
  DEFAULT_IDENTITY_PATH,
  IDENTITY_FILE_ENV,
  type Identity,
  identitySchema,
  type ParsedIdentity,
  parseIdentity,
  sameIdentity,
} from "./identity.ts";
export {
  headersToText,
  headerText,
  type RawHeaderValue,
  type TextHeaders,
} from "./kafka-headers.ts";
export { lagBehindSource } from "./lag.ts";
export {
  instanceId,
  migrationId,
  nodeName,
  type PartitionOffset,
  partitionOffset,
  workloadName,
} from "./names.ts";
export { DO_NOT_DISRUPT, MIGRATE_LABEL, optOutOf } from "./opt-out.ts";
export { OUTPUT_ID_HEADER, outputId } from "./output-id.ts";
export {
  type HandoverTiming,
  handoverTiming,
  type SourceFenceStatus,
  type StatusBody,
  sourceFenceStatus,
  statusBody,
  type WorkloadCounts,
  type WorkloadMode,
  type WorkloadStatus,
  workloadCounts,
  workloadMode,
  workloadStatus,
} from "./status.ts";
