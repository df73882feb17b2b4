export { errorCode, failed } from "./failure.ts";
export { applyEvent, type FoldableEvent, foldMigration, isActive } from "./fold.ts";
export { shadowInstanceName } from "./naming.ts";
export { baseOf } from "./outgoing.ts";
export { type Phase, type PhaseTiming, phases, type Status } from "./phase.ts";
export { MigrationProjection } from "./projection.ts";
export type { InstancePlace, MigrationView, StepWork } from "./view.ts";
