import { MigrationFailed, type migrationStep, type OutgoingEvent, outgoing } from "@shadow/events";
import type { z } from "zod";
import { baseOf } from "./outgoing.ts";

type Step = z.infer<typeof migrationStep>;
type Base = Parameters<typeof baseOf>[0];

/** The code of an error: its own `code` where it has one (typed runtime errors do), else its name. */
export function errorCode(error: unknown): string {
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return error instanceof Error ? error.name : "UNKNOWN";
}

/** A step failed: the migration fails, and every service compensates its own step. */
export function failed(
  data: Base & { handoff?: z.input<typeof MigrationFailed.schema>["handoff"] },
  step: Step,
  error: unknown,
): OutgoingEvent {
  const reason =
    (error instanceof Error ? error.message : String(error)).slice(0, 2000) || "failed";
  return outgoing(MigrationFailed, {
    ...baseOf(data),
    step,
    code: errorCode(error),
    reason,
    ...(data.handoff ? { handoff: data.handoff } : {}),
  });
}
