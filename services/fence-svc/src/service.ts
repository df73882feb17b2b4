import { FencePassed, MigrationFailed, ShadowCaughtUp } from "@shadow/events";
import type { Incoming } from "@shadow/migration";
import { onFencePassed } from "./handlers/fence-passed.ts";
import { onMigrationFailed } from "./handlers/migration-failed.ts";
import { onShadowCaughtUp } from "./handlers/shadow-caught-up.ts";

export const serviceName = "fence-svc";

/** fence-svc: asks the source for its cut and completes the fence when the shadow passes it. */
export function createFenceService() {
  return {
    [ShadowCaughtUp.type]: (e: Incoming) => onShadowCaughtUp(e as never),
    [FencePassed.type]: (e: Incoming) => onFencePassed(e as never),
    [MigrationFailed.type]: (e: Incoming) => onMigrationFailed(e as never),
  };
}
