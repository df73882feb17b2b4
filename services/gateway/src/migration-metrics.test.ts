import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { MigrationAdmitted, MigrationCompleted, MigrationRequested } from "@shadow/events";
import { MigrationProjection } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import { recordMigrationMetrics } from "./migration-metrics.ts";

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const base = {
  migrationId: "m-1",
  workload: "orders-0",
  strategy: "shadow" as const,
  identitySwap: false,
  requestedAt: "2026-01-01T00:00:00.000Z",
};

describe("migration metrics", () => {
  it("counts ended migrations by outcome and observes phase durations, once each", async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const projection = new MigrationProjection();
    recordMigrationMetrics(projection, provider.getMeter("test"));
    const at = (offset: number) => ({ partition: 0, offset: String(offset), key: "orders-0" });
    const request = {
      ...base,
      source: { instance: "orders-0", node: "node-a" },
      targetNode: "node-b",
      requestedBy: "cli",
    };
    projection.apply(
      { id: "1", type: MigrationRequested.type, time: "2026-01-01T00:00:00.000Z", data: request },
      at(0),
    );
    projection.apply(
      { id: "1a", type: MigrationAdmitted.type, time: "2026-01-01T00:00:00.000Z", data: request },
      at(1),
    );
    const done = {
      id: "2",
      type: MigrationCompleted.type,
      time: "2026-01-01T00:00:05.000Z",
      data: { ...base, final: { instance: "orders-0-shadow-m1", node: "node-b" }, totalMs: 5000 },
    };
    projection.apply(done, at(2));
    // Replayed: the ledger finds it stale, and nothing is counted twice.
    projection.apply({ ...done, id: "3" }, at(3));
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const count = all.find((m) => m.descriptor.name === "shadow.migrations");
    expect(count?.dataPoints).toHaveLength(1);
    expect(count?.dataPoints[0]?.attributes).toEqual({ outcome: "completed", strategy: "shadow" });
    expect(count?.dataPoints[0]?.value).toBe(1);
  });
});
