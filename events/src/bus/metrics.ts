import { metrics } from "@opentelemetry/api";
import type { Outcome } from "./types.ts";

/**
 * Bus metrics through the OpenTelemetry API: no-ops until startTelemetry installs a meter
 * provider, then scraped by Prometheus with the rest of the service's metrics.
 */
const meter = metrics.getMeter("@shadow/events");

const consumed = meter.createCounter("shadow.events.consumed", {
  description: "Records consumed, by event type and outcome",
});
const deadLettered = meter.createCounter("shadow.events.dead_lettered", {
  description: "Records sent to the dead-letter topic, by code",
});
const hopLatency = meter.createHistogram("shadow.events.hop_latency", {
  description: "From the event's time to its handler's entry",
  unit: "ms",
});
const handlerDuration = meter.createHistogram("shadow.events.handler.duration", {
  description: "Handler run time, retries included, until its events were sent",
  unit: "ms",
});

export function recordOutcome(outcome: Outcome, groupId: string): void {
  const type = "event" in outcome && outcome.event ? outcome.event.type : "undecodable";
  consumed.add(1, {
    "shadow.group": groupId,
    "cloudevents.event_type": type,
    outcome: outcome.kind,
  });
  if (outcome.kind === "dead-lettered") {
    deadLettered.add(1, { "shadow.group": groupId, code: outcome.code });
  }
}

export function recordHop(type: string, eventTime: string, groupId: string): void {
  const ms = Date.now() - Date.parse(eventTime);
  if (Number.isFinite(ms)) {
    hopLatency.record(Math.max(0, ms), { "shadow.group": groupId, "cloudevents.event_type": type });
  }
}

export function recordHandlerDuration(type: string, ms: number, groupId: string): void {
  handlerDuration.record(ms, { "shadow.group": groupId, "cloudevents.event_type": type });
}
