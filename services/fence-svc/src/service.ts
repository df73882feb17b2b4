import {
  FencePassed,
  type Handlers,
  MigrationFailed,
  ShadowCaughtUp,
  SourceLost,
} from "@shadow/events";
import { onFencePassed } from "./handlers/fence-passed.ts";
import { onMigrationFailed } from "./handlers/migration-failed.ts";
import { onShadowCaughtUp } from "./handlers/shadow-caught-up.ts";
import { onSourceLost } from "./handlers/source-lost.ts";

export const serviceName = "fence-svc";

/** fence-svc: asks the source for its cut and completes the fence when the shadow passes it. */
export const fenceHandlers: Handlers<undefined> = {
  [ShadowCaughtUp.type]: onShadowCaughtUp,
  [FencePassed.type]: onFencePassed,
  [MigrationFailed.type]: onMigrationFailed,
  [SourceLost.type]: onSourceLost,
};
