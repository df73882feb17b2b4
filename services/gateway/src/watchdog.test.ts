import { MigrationAdmitted, MigrationFailed, MigrationRequested } from "@shadow/events";
import { MigrationProjection } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import { overdueSteps } from "./watchdog.ts";

function projectionWith(requestedAt: string) {
  const projection = new MigrationProjection();
  const data = {
    migrationId: "m-1",
    workload: "orders-0",
    strategy: "shadow",
    identitySwap: false,
    source: { instance: "orders-0", node: "node-a" },
    targetNode: "node-b",
    requestedBy: "http",
    requestedAt,
  };
  projection.apply(
    { id: "e1", type: MigrationRequested.type, time: requestedAt, data },
    { partition: 0, offset: "0", key: "orders-0" },
  );
  projection.apply(
    { id: "e2", type: MigrationAdmitted.type, time: requestedAt, data },
    { partition: 0, offset: "1", key: "orders-0" },
  );
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

  it("gives the fence a short deadline: a source that never answers does not hold the shadow for long", () => {
    const projection = projectionWith("2026-01-01T00:00:00.000Z");
    const view = projection.get("m-1");
    if (!view) throw new Error("no view");
    view.round = 1;
    view.phase = "fence";
    view.phases = [{ round: 1, phase: "fence", startedAt: "2026-01-01T00:00:00.000Z" }];
    const at = (s: number) => Date.parse("2026-01-01T00:00:00.000Z") + s * 1000;
    expect(overdueSteps(projection.list(), at(50), 120_000)).toEqual([]);
    const data = MigrationFailed.schema.parse(
      overdueSteps(projection.list(), at(61), 120_000)[0]?.data,
    );
    expect(data.step).toBe("fence");
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
