import { type Counter, type Histogram, type MeterProvider, metrics } from "@opentelemetry/api";
import type { Outcome } from "./types.ts";

/**
 * Bus metrics through the OpenTelemetry API, scraped by Prometheus with the rest of the
 * service's metrics once startTelemetry installed a meter provider.
 *
 * Unlike tracers, meters from the API are not proxies: one taken before the provider is
 * registered stays a no-op for good. Modules load before main() starts telemetry, so the
 * instruments are made on first use and again whenever the global provider changes.
 */
interface Instruments {
  provider: MeterProvider;
  consumed: Counter;
  deadLettered: Counter;
  retries: Counter;
  hopLatency: Histogram;
  handlerDuration: Histogram;
}

let current: Instruments | undefined;

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (current?.provider === provider) return current;
  const meter = provider.getMeter("@shadow/events");
  current = {
    provider,
    consumed: meter.createCounter("shadow.events.consumed", {
      description: "Records consumed, by event type and outcome",
    }),
    deadLettered: meter.createCounter("shadow.events.dead_lettered", {
      description: "Records sent to the dead-letter topic, by code",
    }),
    retries: meter.createCounter("shadow.events.retries", {
      description: "Handler attempts that failed and were retried, by event type",
    }),
    hopLatency: meter.createHistogram("shadow.events.hop_latency", {
      description: "From the event's time to its handler's entry",
      unit: "ms",
    }),
    handlerDuration: meter.createHistogram("shadow.events.handler.duration", {
      description: "Handler run time, retries included, until its events were sent",
      unit: "ms",
    }),
  };
  return current;
}

export function recordOutcome(outcome: Outcome, groupId: string): void {
  const type = "event" in outcome && outcome.event ? outcome.event.type : "undecodable";
  const i = instruments();
  i.consumed.add(1, {
    "shadow.group": groupId,
    "cloudevents.event_type": type,
    outcome: outcome.kind,
  });
  if (outcome.kind === "dead-lettered") {
    i.deadLettered.add(1, { "shadow.group": groupId, code: outcome.code });
  }
}

export function recordRetry(type: string, groupId: string): void {
  instruments().retries.add(1, { "shadow.group": groupId, "cloudevents.event_type": type });
}

export function recordHop(type: string, eventTime: string, groupId: string): void {
  const ms = Date.now() - Date.parse(eventTime);
  if (!Number.isFinite(ms)) return;
  instruments().hopLatency.record(Math.max(0, ms), {
    "shadow.group": groupId,
    "cloudevents.event_type": type,
  });
}

export function recordHandlerDuration(type: string, ms: number, groupId: string): void {
  instruments().handlerDuration.record(ms, {
    "shadow.group": groupId,
    "cloudevents.event_type": type,
  });
}
