import {
  buildEvent,
  buildOutgoing,
  type IncomingEvent,
  MigrationRequested,
  NodePressureDetected,
  PressureDecided,
} from "@shadow/events";
import { describe, expect, it } from "vitest";
import type { PressureDeps } from "../deps.ts";
import { migrationIdFor } from "../migration-id.ts";
import { type Condition, noConditions, observe } from "../policy/conditions.ts";
import { policyConfig } from "../policy/config.ts";
import { MiB, node, snapshot, workload } from "../policy/fixtures.ts";
import type { MigrationRecord } from "../policy/types.ts";
import type { ClusterSnapshot } from "../signals/types.ts";
import { onNodePressureDetected } from "./node-pressure-detected.ts";

const at = new Date("2026-03-02T20:00:00Z");

function signal(nodeName: string, kind: "memory" | "drain") {
  return buildEvent(
    NodePressureDetected,
    { node: nodeName, kind, value: 0.9, threshold: 0.85, observedAt: at.toISOString() },
    { source: "/shadow/pressure-svc", id: `sig-${nodeName}-${kind}` },
  ) as IncomingEvent<typeof NodePressureDetected.type>;
}

function depsFor(
  snap: ClusterSnapshot,
  options: { dryRun?: boolean; migrations?: MigrationRecord[]; conditions?: Condition[] } = {},
) {
  const config = policyConfig({ dryRun: options.dryRun ?? false, holdMs: 0 });
  const conditions = options.conditions ?? observe(noConditions, snap, config).active;
  const deps: PressureDeps = {
    signals: { snapshot: async () => snap },
    log: { upToDate: async () => options.migrations ?? [] },
    conditions: () => conditions,
    config,
    now: () => at,
  };
  return deps;
}

const pressured = snapshot(
  at,
  [node("node-a", { memory: { usedBytes: 900 * MiB, limitBytes: 1_000 * MiB } }), node("node-b")],
  [
    workload("orders-0", "node-a", { usedBytes: 300 * MiB }),
    workload("audit-0", "node-a", { usedBytes: 200 * MiB }),
  ],
);

describe("onNodePressureDetected", () => {
  it("emits the decision and the migration it starts, with the reason and the same migration id", async () => {
    const out = await onNodePressureDetected(signal("node-a", "memory"), depsFor(pressured));
    expect(out.map((e) => e.type)).toEqual([PressureDecided.type, MigrationRequested.type]);
    const id = migrationIdFor(
      { source: "/shadow/pressure-svc", id: "sig-node-a-memory" },
      "orders-0",
    );
    expect(out[0]?.data).toMatchObject({
      node: "node-a",
      kind: "memory",
      code: "MIGRATE",
      dryRun: false,
      migration: { migrationId: id, workload: "orders-0", targetNode: "node-b" },
    });
    expect(out[1]?.data).toMatchObject({
      migrationId: id,
      workload: "orders-0",
      source: { instance: "orders-0", node: "node-a" },
      targetNode: "node-b",
      requestedBy: "pressure",
      reason: expect.stringContaining("node-a uses 90% of its memory"),
    });
    // Valid events of the catalog, as the runner will build them.
    for (const e of out) {
      expect(() => buildOutgoing(e, { source: "/shadow/pressure-svc" })).not.toThrow();
    }
  });

  it("in dry run emits the decisions and no request", async () => {
    const out = await onNodePressureDetected(
      signal("node-a", "memory"),
      depsFor(pressured, { dryRun: true }),
    );
    expect(out.map((e) => e.type)).toEqual([PressureDecided.type]);
    expect(out[0]?.data).toMatchObject({
      code: "MIGRATE",
      dryRun: true,
      migration: { workload: "orders-0" },
    });
  });

  it("counts what the log shows under way: one migration off the node already, none more", async () => {
    const running: MigrationRecord = {
      migrationId: "mig-by-a-user",
      workload: "audit-0",
      sourceNode: "node-a",
      targetNode: "node-b",
      active: true,
      requestedAt: at.getTime() - 1_000,
    };
    const out = await onNodePressureDetected(
      signal("node-a", "memory"),
      depsFor(pressured, { migrations: [running] }),
    );
    expect(out.map((e) => e.type)).toEqual([PressureDecided.type]);
    expect(out[0]?.data).toMatchObject({ code: "RELIEF_UNDER_WAY" });
    const drained = snapshot(
      at,
      [node("node-a", { draining: true, cordoned: true }), node("node-b")],
      pressured.workloads,
    );
    const [d] = await onNodePressureDetected(
      signal("node-a", "drain"),
      depsFor(drained, { migrations: [running] }),
    );
    expect(d?.data).toMatchObject({
      code: "SOURCE_BUDGET",
      passedOver: [{ workload: "audit-0", why: "migrating already (mig-by-a-user)" }],
    });
  });

  it("decides nothing for a signal its watcher no longer sees (cleared, replayed, or another policy's node)", async () => {
    expect(
      await onNodePressureDetected(
        signal("node-a", "memory"),
        depsFor(pressured, { conditions: [] }),
      ),
    ).toEqual([]);
    expect(await onNodePressureDetected(signal("node-z", "drain"), depsFor(pressured))).toEqual([]);
  });
});
