import { z } from "zod";
import { defineEvent, handoff, instanceRef, migrationBase, reasonText, shortId } from "./define.ts";

/** drain-svc stopped and removed the `from` side of a handoff. */
export const SourceDrained = defineEvent(
  "io.shadow.migration.source.drained.v1",
  migrationBase.extend({ handoff, drainMs: z.number().nonnegative() }),
);

/**
 * The workload serves on the target. `swapFailure`: an identity swap's round 2 could not
 * complete, so it serves there under its shadow's name (moved, name not restored); it is no
 * rollback, since round 1 had already handed over.
 */
export const MigrationCompleted = defineEvent(
  "io.shadow.migration.completed.v1",
  migrationBase.extend({
    final: instanceRef,
    totalMs: z.number().nonnegative(),
    swapFailure: reasonText.optional(),
  }),
);

export const migrationStep = z.enum([
  "request",
  "checkpoint",
  "image",
  "restore",
  "catch-up",
  "fence",
  "drain",
  "identity-swap",
]);

export const MigrationFailed = defineEvent(
  "io.shadow.migration.failed.v1",
  migrationBase.extend({
    step: migrationStep,
    reason: reasonText,
    code: shortId,
    handoff: handoff.optional(),
  }),
);

/**
 * Every step that had an effect compensated it. `servingInstance` is the copy of the workload
 * found running once the compensations were done (the source, unless something else happened
 * to it meanwhile); absent when none was.
 */
export const RolledBack = defineEvent(
  "io.shadow.migration.rolled-back.v1",
  migrationBase.extend({
    reason: reasonText,
    compensated: z.array(z.string().max(500)).max(32),
    servingInstance: instanceRef.optional(),
  }),
);
