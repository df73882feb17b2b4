import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sampleData } from "@shadow/events/testing";
import { type FoldableEvent, foldMigration, type MigrationView } from "@shadow/migration";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { statusFromView } from "./status.ts";

const ID = "mig-0a1b2c3d";

/** The status schema of the Migration CRD the base installs: what the API server checks. */
function statusSchema(): Schema {
  const crdPath = join(import.meta.dirname, "../../../deploy/k8s/base/crd/migrations.yaml");
  const crd = parse(readFileSync(crdPath, "utf8")) as {
    spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
  };
  const status = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.status;
  if (!status) throw new Error("the CRD has no status schema");
  return status;
}

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
}

/** Each place in `value` where the schema says integer and the value is not one. */
function notIntegers(value: unknown, schema: Schema, path = "status"): string[] {
  if (value === undefined || value === null) return [];
  if (schema.type === "integer") return Number.isInteger(value) ? [] : [`${path}: ${value}`];
  if (schema.type === "array" && schema.items && Array.isArray(value)) {
    return value.flatMap((v, i) => notIntegers(v, schema.items as Schema, `${path}[${i}]`));
  }
  if (schema.properties && typeof value === "object") {
    return Object.entries(schema.properties).flatMap(([key, s]) =>
      notIntegers((value as Record<string, unknown>)[key], s, `${path}.${key}`),
    );
  }
  return [];
}

/** A completed migration's view, folded from the catalog's sample events. */
function completedView(): MigrationView {
  const samples = sampleData(ID);
  const types = Object.keys(samples).filter(
    (t) => !/failed|rolled-back|rejected|aborted/.test(t),
  ) as (keyof typeof samples)[];
  const events: FoldableEvent[] = types.map((type, i) => ({
    id: `e-${i}`,
    type,
    time: new Date(Date.parse("2026-12-06T10:00:00.000Z") + i * 1000).toISOString(),
    data: samples[type],
  }));
  const view = foldMigration(events);
  if (!view) throw new Error("the sample events fold to no view");
  return view;
}

describe("a Migration's status", () => {
  test("holds whole numbers wherever the CRD types an integer, though the view measures fractions", () => {
    const measured = completedView();
    const view: MigrationView = {
      ...measured,
      status: "completed",
      totalMs: 10766.52,
      checkpointPauseMs: 308.9,
      handoverMs: 55.71,
      lagBehindSource: 1,
      outage: { ms: 0.4 } as MigrationView["outage"],
      phases: measured.phases.map((p) => ({ ...p, ms: 1695.6 })),
    };
    const status = statusFromView(view, { generation: 1 });
    expect(status.phase).toBe("Completed");
    expect(status.checkpointPauseMs).toBe(309);
    expect(status.totalMs).toBe(10767);
    expect(status.handoverMs).toBe(56);
    expect(status.phases?.length).toBeGreaterThan(0);
    expect(notIntegers(status, statusSchema())).toEqual([]);
    expect(status.message).toContain("checkpoint pause 309 ms");
  });

  test("says a Migration whose identity swap failed in round 2 moved, with its name not restored", () => {
    const view: MigrationView = {
      ...completedView(),
      status: "completed",
      final: { instance: "orders-0-shadow-1", node: "kube-b" },
      swapFailure: "identity-swap failed: checkpoint refused",
    };
    const status = statusFromView(view, { generation: 1 });
    expect(status.phase).toBe("Completed");
    expect(status.message).toContain("orders-0-shadow-1 serves on kube-b");
    expect(status.message).toContain(
      "moved, name not restored (identity-swap failed: checkpoint refused)",
    );
  });

  test("the check above finds a fraction where the CRD wants an integer", () => {
    expect(notIntegers({ checkpointPauseMs: 308.9 }, statusSchema())).toEqual([
      "status.checkpointPauseMs: 308.9",
    ]);
  });
});
