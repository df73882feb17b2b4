import { metrics } from "@opentelemetry/api";
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { afterEach, describe, expect, it } from "vitest";
import { recordRetry } from "./metrics.ts";

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

afterEach(() => metrics.disable());

describe("bus metrics", () => {
  it("counts retries by event type and group, on the provider installed after module load", async () => {
    const reader = new CollectingReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    recordRetry("io.shadow.migration.requested.v1", "shadow.checkpoint-svc.local");
    recordRetry("io.shadow.migration.requested.v1", "shadow.checkpoint-svc.local");
    const { resourceMetrics } = await reader.collect();
    const retries = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === "shadow.events.retries");
    expect(retries?.dataPoints).toHaveLength(1);
    expect(retries?.dataPoints[0]?.value).toBe(2);
    expect(retries?.dataPoints[0]?.attributes).toEqual({
      "shadow.group": "shadow.checkpoint-svc.local",
      "cloudevents.event_type": "io.shadow.migration.requested.v1",
    });
  });
});
