import { z } from "zod";
import { catalog, isKnownType } from "./catalog/index.ts";
import type { IncomingEvent, ShadowEvent } from "./event.ts";

export type ValidationFailureCode = "unknown-type" | "schema-invalid";

export type ValidationResult =
  | { ok: true; event: IncomingEvent }
  | { ok: false; code: ValidationFailureCode; reason: string };

/** Is this type in the catalog? Unknown types are dead letters, not silently skipped. */
export function checkType(event: ShadowEvent): ValidationResult | undefined {
  if (isKnownType(event.type)) return undefined;
  return {
    ok: false,
    code: "unknown-type",
    reason: `event type ${event.type} is not in the catalog`,
  };
}

/**
 * Parses the data of a decoded event with its catalog schema: parse at the boundary, trust
 * inside. The returned event carries the parsed data (unknown keys stripped).
 */
export function validateEvent(event: ShadowEvent): ValidationResult {
  const unknownType = checkType(event);
  if (unknownType) return unknownType;
  const definition = catalog[event.type as keyof typeof catalog];
  const parsed = definition.schema.safeParse(event.data);
  if (!parsed.success) {
    return {
      ok: false,
      code: "schema-invalid",
      reason: `data of ${event.type} is invalid: ${z.prettifyError(parsed.error)}`,
    };
  }
  return { ok: true, event: { ...event, data: parsed.data } as IncomingEvent };
}
