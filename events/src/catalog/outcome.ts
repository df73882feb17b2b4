import { z } from "zod";
import { defineEvent, handoff, instanceRef, migrationBase } from "./define.ts";

/** drain-svc stopped and removed the `from` side of a handoff. */
export const SourceDrained = defineEvent(
  "io.shadow.migration.source.drained.v1",
  migrationBase.extend({ handoff, drainMs: z.number().nonnegative() }),
);

export const MigrationCompleted = defineEvent(
  "io.shadow.migration.completed.v1",
  migrationBase.extend({
    final: instanceRef,
    totalMs: z.number().nonnegative(),
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
    reason: z.string().min(1).max(2000),
    code: z.string().min(1),
    handoff: handoff.optional(),
  }),
);

/** Every step that had an effect compensated it; the source kept serving. */
export const RolledBack = defineEvent(
  "io.shadow.migration.rolled-back.v1",
  migrationBase.extend({
    reason: z.string().min(1).max(2000),
    compensated: z.array(z.string()),
    servingInstance: instanceRef,
  }),
);
