import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { DRAIN_LABEL, drainMigrationName, drainMigrations } from "./drain.ts";

const NS = "workloads";

function node(name: string, unschedulable: boolean): V1Node {
  return { metadata: { name }, spec: { unschedulable } };
}

function pod(name: string, on: string, o: { labelled?: boolean; phase?: string } = {}): V1Pod {
  return {
    metadata: {
      name,
      namespace: NS,
      labels: o.labelled === false ? {} : { "shadow.io/workload": name },
    },
    spec: { nodeName: on, containers: [] },
    status: { phase: o.phase ?? "Running" },
  };
}

describe("a cordoned node", () => {
  const pods = [
    pod("orders-0", "kube-a"),
    pod("carts-0", "kube-a"),
    pod("plain", "kube-a", { labelled: false }),
    pod("starting", "kube-a", { phase: "Pending" }),
    pod("elsewhere", "kube-b"),
  ];

  test("gets one Migration per running shadow pod on it, and none for anything else", () => {
    const made = drainMigrations(node("kube-a", true), pods, NS);
    expect(made.map((m) => m.spec.pod)).toEqual(["orders-0", "carts-0"]);
    expect(made[0]).toEqual({
      apiVersion: "shadow.io/v1alpha1",
      kind: "Migration",
      metadata: {
        name: drainMigrationName("kube-a", "orders-0"),
        namespace: NS,
        labels: { [DRAIN_LABEL]: "kube-a" },
      },
      // No target: the controller picks a Ready, schedulable node, as for any Migration.
      spec: { pod: "orders-0", reason: "node kube-a is draining" },
    });
  });

  test("asks for the same Migrations every time it is looked at (a replay creates nothing new)", () => {
    const first = drainMigrations(node("kube-a", true), pods, NS);
    const again = drainMigrations(node("kube-a", true), pods, NS);
    expect(again).toEqual(first);
  });

  test("a pod drained off another node later gets another Migration (its name kept by a swap)", () => {
    expect(drainMigrationName("kube-a", "orders-0")).not.toBe(
      drainMigrationName("kube-b", "orders-0"),
    );
    expect(drainMigrationName("kube-a", "orders-0")).toMatch(/^drain-orders-0-[0-9a-f]{8}$/);
  });

  test("a schedulable node, or pods of another namespace, get none", () => {
    expect(drainMigrations(node("kube-a", false), pods, NS)).toEqual([]);
    expect(drainMigrations(node("kube-a", true), pods, "other")).toEqual([]);
  });
});
