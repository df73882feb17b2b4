import {
  FenceAborted,
  FenceCut,
  FencePassed,
  FenceRequested,
  NodePressureDetected,
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
  if (type === NodePressureDetected.type) return topics.pressure;
  return topics.migrations;
}

/**
 * The Kafka key of an event: its workload where it has one, so every event of every migration
 * of a workload lands in one partition, in one order that every reader sees alike. That order
 * is what decides between two requests for one workload (see admission-svc); one migration's
 * events stay ordered as before. Events without a workload (a node's pressure reading) are
 * keyed by their subject.
 */
export function partitionKeyOf(event: { subject: string; data: unknown }): string {
  const data = event.data;
  if (typeof data === "object" && data !== null) {
    const workload = (data as { workload?: unknown }).workload;
    if (typeof workload === "string" && workload.length > 0) return workload;
  }
  return event.subject;
}
