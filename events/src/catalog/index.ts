import { MigrationAdmitted, MigrationRejected } from "./admission.ts";
import {
  CheckpointArchived,
  CheckpointCreated,
  CheckpointImageReady,
  IdentitySwapRequested,
} from "./checkpoint.ts";
import type { DataOf, EventDefinition } from "./define.ts";
import { FenceAborted, FenceCompleted, FenceCut, FencePassed, FenceRequested } from "./fence.ts";
import { MigrationCompleted, MigrationFailed, RolledBack, SourceDrained } from "./outcome.ts";
import { PressureDecided } from "./pressure.ts";
import { MigrationRequested, NodePressureDetected } from "./request.ts";
import { ShadowCaughtUp, ShadowRestored, SourceLost } from "./restore.ts";

export * from "./admission.ts";
export * from "./checkpoint.ts";
export * from "./define.ts";
export * from "./fence.ts";
export * from "./outcome.ts";
export * from "./pressure.ts";
export * from "./request.ts";
export * from "./restore.ts";

/** Every event type of the choreography, by its type string. */
export const catalog = {
  [MigrationRequested.type]: MigrationRequested,
  [MigrationAdmitted.type]: MigrationAdmitted,
  [MigrationRejected.type]: MigrationRejected,
  [NodePressureDetected.type]: NodePressureDetected,
  [CheckpointCreated.type]: CheckpointCreated,
  [CheckpointImageReady.type]: CheckpointImageReady,
  [ShadowRestored.type]: ShadowRestored,
  [ShadowCaughtUp.type]: ShadowCaughtUp,
  [SourceLost.type]: SourceLost,
  [FenceRequested.type]: FenceRequested,
  [FenceCut.type]: FenceCut,
  [FencePassed.type]: FencePassed,
  [FenceCompleted.type]: FenceCompleted,
  [FenceAborted.type]: FenceAborted,
  [SourceDrained.type]: SourceDrained,
  [IdentitySwapRequested.type]: IdentitySwapRequested,
  [MigrationCompleted.type]: MigrationCompleted,
  [MigrationFailed.type]: MigrationFailed,
  [RolledBack.type]: RolledBack,
  [PressureDecided.type]: PressureDecided,
  [CheckpointArchived.type]: CheckpointArchived,
} as const satisfies Record<string, EventDefinition>;

export type EventType = keyof typeof catalog;
export type EventData<T extends EventType> = DataOf<(typeof catalog)[T]>;

export function isKnownType(type: string): type is EventType {
  return Object.hasOwn(catalog, type);
}
