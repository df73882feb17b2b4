import type { EventDefinition } from "@shadow/events";
import type { z } from "zod";

/** An event a handler asks the runner to emit; the runner builds the CloudEvent around it. */
export interface Outgoing {
  type: string;
  data: unknown;
  /** The topic, when it is not the migrations topic (fence events go on the control topic). */
  topic?: string;
}

/** The part of an incoming CloudEvent a handler reads. */
export interface Incoming<D = unknown> {
  id: string;
  type: string;
  source: string;
  time: string;
  data: D;
}

/** Builds an outgoing event, checking its data against the type's schema at the boundary. */
export function emit<S extends z.ZodType>(
  definition: EventDefinition<string, S>,
  data: z.input<S>,
  topic?: string,
): Outgoing {
  const parsed = definition.schema.parse(data);
  return topic
    ? { type: definition.type, data: parsed, topic }
    : { type: definition.type, data: parsed };
}

/** The fields every migration event copies from the event it reacts to. */
export function baseOf(data: {
  migrationId: string;
  workload: string;
  strategy: "shadow" | "sequential";
  identitySwap: boolean;
  requestedAt: string;
}) {
  return {
    migrationId: data.migrationId,
    workload: data.workload,
    strategy: data.strategy,
    identitySwap: data.identitySwap,
    requestedAt: data.requestedAt,
  };
}
