export {
  type DecodeFailureCode,
  type DecodeResult,
  decodeRecord,
  type RawRecord,
} from "./binding/decode.ts";
export { type KafkaRecord, toBinaryRecord, toStructuredRecord } from "./binding/encode.ts";
export { headersToText, type TextHeaders } from "./binding/headers.ts";
export { resilientConsumer } from "./bus/consumer-settings.ts";
export { createTopicsWithLeaders } from "./bus/create-topics.ts";
export { type DeadLetterCode, dlqHeaders, MAX_REASON_LENGTH } from "./bus/dead-letter.ts";
export { type DedupeStore, dedupeKey, MemoryDedupeStore } from "./bus/dedupe.ts";
export { mendCoordinatorLookup } from "./bus/kafkajs-coordinator.ts";
export {
  createPublisher,
  type EmitOptions,
  type Publisher,
  type PublisherConfig,
} from "./bus/publisher.ts";
export { type ReadLogOptions, readLog } from "./bus/read-log.ts";
export {
  decideRetry,
  defaultRetryPolicy,
  type RetryDecision,
  type RetryPolicy,
} from "./bus/retry.ts";
export {
  type ConsumerRunner,
  type ConsumerRunnerConfig,
  createConsumerRunner,
} from "./bus/runner.ts";
export { PartitionedProducer, partitionFor } from "./bus/send-by-partition.ts";
export { OFFSETS_SETTLE_MS, topicOffsets } from "./bus/topic-offsets.ts";
export type {
  EventGate,
  GateVerdict,
  Handler,
  Handlers,
  Outcome,
  RecordInfo,
  RecordPosition,
  RetryInfo,
  RunnerObserver,
  RunnerStats,
} from "./bus/types.ts";
export * from "./catalog/index.ts";
export {
  isTerminal,
  migrationIdOf,
  RetryableError,
  type RetryableErrorOptions,
  retryAfterOf,
  ShadowError,
  type ShadowErrorOptions,
  TerminalError,
  toError,
} from "./errors.ts";
export {
  type BuildOptions,
  buildEvent,
  buildOutgoing,
  type IncomingEvent,
  isEvent,
  type OutgoingEvent,
  outgoing,
  type ShadowEvent,
  serviceSource,
  subjectOf,
  traceIdOf,
} from "./event.ts";
export { deriveEventId, newEventId } from "./ids.ts";
export { partitionKeyOf, topicFor } from "./routing.ts";
export * from "./topics.ts";
export {
  checkType,
  type ValidationFailureCode,
  type ValidationResult,
  validateEvent,
} from "./validate.ts";
