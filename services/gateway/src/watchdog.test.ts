import { MigrationFailed, MigrationRequested } from "@shadow/events";
import { MigrationProjection } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import { overdueSteps } from "./watchdog.ts";

function projectionWith(requestedAt: string) {
  const projection = new MigrationProjection();
  projection.apply("m-1", {
    id: "e1",
    type: MigrationRequested.type,
    time: requestedAt,
    data: {
      migrationId: "m-1",
      workload: "orders-0",
      strategy: "shadow",
      identitySwap: false,
      source: { instance: "orders-0", node: "node-a" },
      targetNode: "node-b",
      requestedBy: "http",
      requestedAt,
    },
  });
  return projection;
}

describe("the step watchdog", () => {
  it("fails a migration whose step outlived its deadline, naming the step and the handoff to undo", () => {
    const projection = projectionWith("2026-01-01T00:00:00.000Z");
    const owed = overdueSteps(projection.list(), Date.parse("2026-01-01T00:03:00.000Z"), 120_000);
    expect(owed).toHaveLength(1);
    const data = MigrationFailed.schema.parse(owed[0]?.data);
    expect(data).toMatchObject({ migrationId: "m-1", step: "checkpoint", code: "STEP_TIMEOUT" });
    expect(data.handoff?.to).toEqual({ instance: "orders-0-shadow-m1", node: "node-b" });
  });

  it("leaves alone a step still within its deadline, and migrations that ended", () => {
    const projection = projectionWith("2026-01-01T00:00:00.000Z");
    expect(
      overdueSteps(projection.list(), Date.parse("2026-01-01T00:01:00.000Z"), 120_000),
    ).toEqual([]);
    const view = projection.get("m-1");
    if (view) view.status = "completed";
    expect(
      overdueSteps(projection.list(), Date.parse("2026-01-01T01:00:00.000Z"), 120_000),
    ).toEqual([]);
  });
});
