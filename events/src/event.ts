import type { z } from "zod";
import {
  catalog,
  type EventData,
  type EventDefinition,
  type EventType,
  isKnownType,
} from "./catalog/index.ts";
import { TerminalError } from "./errors.ts";
import { newEventId } from "./ids.ts";

/**
 * A shadow CloudEvent as handlers see it and as the bus sends it: the context attributes
 * (CloudEvents 1.0), JSON data, and the distributed tracing extension.
 */
export interface ShadowEvent<T extends string = string, D = unknown> {
  specversion: "1.0";
  id: string;
  /** URI reference of the emitter, `/shadow/<service>`. */
  source: string;
  type: T;
  /** The migration id; the node for node events. Also the Kafka key. */
  subject: string;
  time: string;
  /** Always JSON on this bus: "application/json". */
  datacontenttype: string;
  data: D;
  traceparent?: string;
  tracestate?: string;
}

/** An event of the catalog, with its data typed by the event type. */
export type IncomingEvent<T extends EventType = EventType> = {
  [K in T]: ShadowEvent<K, EventData<K>>;
}[T];

/** What a handler returns: events to emit, not yet stamped with id, source, time or trace. */
export interface OutgoingEvent {
  /** A type of the catalog; checked when the event is built. */
  type: string;
  data: unknown;
  /** Default: the migration id in the data (the node for node events). */
  subject?: string;
  /** Default: `topicFor(type)`. */
  topic?: string;
}

/** The CloudEvent `source` of a shadow service. */
export function serviceSource(service: string): string {
  return `/shadow/${service}`;
}

/**
 * An event for a handler to return: typed by the catalog definition, validated when the runner
 * builds it (a handler emitting invalid data is a bug, and fails as a terminal error).
 *
 * @example
 * return [outgoing(CheckpointCreated, { migrationId, ... })];
 */
export function outgoing<T extends EventType, S extends z.ZodType>(
  definition: EventDefinition<T, S>,
  data: z.input<S>,
  options: { subject?: string; topic?: string } = {},
): OutgoingEvent {
  return { type: definition.type, data, ...options };
}

/** The subject of an event: its migration, or its node for node-level events. */
export function subjectOf(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const record = data as Record<string, unknown>;
  if (typeof record.migrationId === "string") return record.migrationId;
  if (typeof record.node === "string") return record.node;
  return undefined;
}

export interface BuildOptions {
  source: string;
  id?: string;
  time?: Date | string;
  subject?: string;
}

/**
 * Builds a ShadowEvent from a catalog definition and its data, validating the data with the
 * definition's schema (the parsed value is what gets sent). Throws TerminalError on invalid
 * data or when no subject can be derived.
 */
export function buildEvent<T extends EventType, S extends z.ZodType>(
  definition: EventDefinition<T, S>,
  data: z.input<S>,
  options: BuildOptions,
): ShadowEvent<T, z.output<S>> {
  const parsed = definition.schema.safeParse(data);
  const migrationId = subjectOf(data);
  if (!parsed.success) {
    throw new TerminalError(`invalid data for ${definition.type}: ${parsed.error.message}`, {
      code: "schema-invalid",
      migrationId,
      cause: parsed.error,
    });
  }
  const subject = options.subject ?? subjectOf(parsed.data);
  if (!subject) {
    throw new TerminalError(`no subject for ${definition.type}: pass one or put a migrationId`, {
      code: "no-subject",
    });
  }
  const time = options.time ?? new Date();
  return {
    specversion: "1.0",
    id: options.id ?? newEventId(),
    source: options.source,
    type: definition.type,
    subject,
    time: typeof time === "string" ? time : time.toISOString(),
    datacontenttype: "application/json",
    data: parsed.data as z.output<S>,
  };
}

/**
 * Builds from an OutgoingEvent (type known only at run time), same rules as buildEvent; a type
 * outside the catalog is a TerminalError too.
 */
export function buildOutgoing(event: OutgoingEvent, options: BuildOptions): ShadowEvent<EventType> {
  if (!isKnownType(event.type)) {
    throw new TerminalError(`cannot emit ${event.type}: not in the catalog`, {
      code: "unknown-type",
      migrationId: subjectOf(event.data),
    });
  }
  const definition = catalog[event.type] as EventDefinition<EventType>;
  return buildEvent(definition, event.data, {
    ...options,
    ...(event.subject === undefined ? {} : { subject: event.subject }),
  });
}

/** Type guard: narrows an incoming event to one type of the catalog. */
export function isEvent<T extends EventType>(
  event: IncomingEvent,
  definition: EventDefinition<T>,
): event is Extract<IncomingEvent, { type: T }> {
  return event.type === definition.type;
}

export type { EventData, EventType };

/** The trace id in an event's traceparent, e.g. to link a migration to Jaeger. */
export function traceIdOf(event: { traceparent?: string }): string | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(
    event.traceparent ?? "",
  );
  return match?.[1];
}
