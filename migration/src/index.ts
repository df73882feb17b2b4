export {
  type AdmissionRequest,
  busyRefusal,
  canFence,
  FENCE_LABEL,
  type PlacementFacts,
  placementRefusal,
  type Refusal,
  type RejectionCode,
} from "./admission.ts";
export { errorCode, failed } from "./failure.ts";
export { firstHandoff } from "./first-handoff.ts";
export {
  applyEvent,
  type FoldableEvent,
  foldMigration,
  hasEnded,
  isActive,
  reject,
} from "./fold.ts";
export { LogLedger, type LogPosition } from "./ledger/log-ledger.ts";
export {
  type Decision,
  type Judgement,
  type LedgerEntry,
  type LedgerEvent,
  PartitionLedger,
  type Stage,
} from "./ledger/partition-ledger.ts";
export { type LogRecordResult, migrationLogRecord } from "./log-record.ts";
export { isOwnShadow, shadowInstanceName } from "./naming.ts";
export { baseOf } from "./outgoing.ts";
export { type Phase, type PhaseTiming, phases, type Status } from "./phase.ts";
export { MigrationProjection } from "./projection.ts";
export { runStep, type StepEnv, type StepSpec, stepBackoff } from "./run-step.ts";
export { stepDeadlineMs } from "./step-deadline.ts";
export type { InstancePlace, MigrationView, StepWork } from "./view.ts";
