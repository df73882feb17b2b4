import { z } from "zod";
import { catalog, isKnownType, limits } from "./catalog/index.ts";
import { type IncomingEvent, type ShadowEvent, subjectOf } from "./event.ts";

export type ValidationFailureCode =
  | "unknown-type"
  | "envelope-invalid"
  | "schema-invalid"
  | "subject-mismatch";

export type ValidationResult =
  | { ok: true; event: IncomingEvent }
  | { ok: false; code: ValidationFailureCode; reason: string };

/**
 * Bounds on the context attributes. CloudEvents sets none, but every reader keeps ids in memory
 * (dedupe, the projections), and a producer's 10,000-character id must not be one of them.
 * A shadow id is a UUID and a source `/shadow/<service>`: these leave room for any producer's.
 */
const envelope = z.object({
  id: z.string().min(1).max(limits.id),
  source: z.string().min(1).max(limits.id),
  subject: z.string().max(128),
  time: z.string().max(64),
  traceparent: z.string().max(128).optional(),
  tracestate: z.string().max(512).optional(),
});

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
 * Parses a decoded event at the boundary (parse there, trust inside): its context attributes
 * within bounds, its data by its catalog schema (the returned event carries the parsed data,
 * unknown keys stripped), and its subject equal to the migration id (or node) in its data.
 * The subject and the id must agree because readers key a migration by one or the other: a
 * request whose subject differed once left a migration "running" in the gateway for good.
 */
export function validateEvent(event: ShadowEvent): ValidationResult {
  const unknownType = checkType(event);
  if (unknownType) return unknownType;
  const attributes = envelope.safeParse(event);
  if (!attributes.success) {
    return {
      ok: false,
      code: "envelope-invalid",
      reason: `attributes of ${event.type} are out of bounds: ${z.prettifyError(attributes.error)}`,
    };
  }
  const definition = catalog[event.type as keyof typeof catalog];
  const parsed = definition.schema.safeParse(event.data);
  if (!parsed.success) {
    return {
      ok: false,
      code: "schema-invalid",
      reason: `data of ${event.type} is invalid: ${z.prettifyError(parsed.error)}`,
    };
  }
  const expected = subjectOf(parsed.data);
  if (expected !== undefined && event.subject !== expected) {
    return {
      ok: false,
      code: "subject-mismatch",
      reason: `subject "${event.subject}" of ${event.type} differs from "${expected}" in its data: every reader keys the migration by one of the two, so they must agree`,
    };
  }
  return { ok: true, event: { ...event, data: parsed.data } as IncomingEvent };
}
