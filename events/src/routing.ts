import {
  FenceAborted,
  FenceCut,
  FencePassed,
  FenceRequested,
  NodePressureDetected,
  PressureDecided,
} from "./catalog/index.ts";
import { type TopicName, topics } from "./topics.ts";

/**
 * The fence travels on the control topic: the workload SDK reads only that topic, so it never
 * has to skip the rest of the choreography. Pressure readings are keyed by node, not by
 * migration, and have their own topic. Everything else is a migration event.
 */
const controlTypes: ReadonlySet<string> = new Set([
  FenceRequested.type,
  FenceCut.type,
  FencePassed.type,
  FenceAborted.type,
]);

/** The topic an event type is published on by default. */
export function topicFor(type: string): TopicName {
  if (controlTypes.has(type)) return topics.control;
  if (type === NodePressureDetected.type || type === PressureDecided.type) return topics.pressure;
  return topics.migrations;
}
