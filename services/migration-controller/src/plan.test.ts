import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { type EventType, MigrationFailed } from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { type FoldableEvent, foldMigration, type MigrationView } from "@shadow/migration";
import { describe, expect, test } from "vitest";
import type { ClusterView } from "./decide.ts";
import { migrationIdFor } from "./ids.ts";
import { type PlanInput, plan } from "./plan.ts";
import { type MigrationObject, type MigrationStatus, ROLLBACK_FINALIZER } from "./resource.ts";

const NS = "workloads";
const UID = "3f2a9c1e-0000-4000-8000-000000000001";
const ID = migrationIdFor(UID);

function migration(spec: Record<string, unknown>, meta: Partial<MigrationObject["metadata"]> = {}) {
  return {
    metadata: {
      name: "move-orders",
      namespace: NS,
      uid: UID,
      generation: 1,
      resourceVersion: "7",
      ...meta,
    },
    spec,
  } satisfies MigrationObject;
}

function statefulPod(name: string, node: string, phase = "Running"): V1Pod {
  return {
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      labels: { "statefulset.kubernetes.io/pod-name": name },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "StatefulSet", name: "orders", uid: "s", controller: true },
      ],
    },
    spec: { nodeName: node, containers: [] },
    status: { phase },
  };
}

function node(
  name: string,
  o: { ready?: boolean; unschedulable?: boolean; taint?: string } = {},
): V1Node {
  return {
    metadata: { name },
    spec: {
      ...(o.unschedulable ? { unschedulable: true } : {}),
      ...(o.taint ? { taints: [{ key: "k", effect: o.taint }] } : {}),
    },
    status: { conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }] },
  };
}

const cluster = (pods: V1Pod[], nodes: V1Node[]): ClusterView => ({
  pod: (name) => pods.find((p) => p.metadata?.name === name),
  nodes: () => nodes,
});

const twoNodes = cluster([statefulPod("orders-0", "kube-a")], [node("kube-a"), node("kube-b")]);

function input(o: Partial<PlanInput> & Pick<PlanInput, "migration">): PlanInput {
  return {
    view: undefined,
    current: undefined,
    cluster: twoNodes,
    namespace: NS,
    now: new Date("2026-12-06T10:00:00.000Z"),
    cancelGraceMs: 120_000,
    ...o,
  };
}

/** A migration's view folded from real events of the catalog, up to `upTo`. */
function viewAfter(upTo: EventType[]): MigrationView {
  const samples = sampleData(ID);
  const events: FoldableEvent[] = upTo.map((type, i) => ({
    id: `e-${i}`,
    type,
    time: new Date(Date.parse("2026-12-06T10:00:00.000Z") + i * 1000).toISOString(),
    data: samples[type as keyof typeof samples],
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  }));
  const view = foldMigration(events);
  if (!view) throw new Error("the sample events fold to no view");
  return view;
}

const toCatchUp: EventType[] = [
  "io.shadow.migration.requested.v1",
  // Nothing runs before the log's admission says it may.
  "io.shadow.migration.admitted.v1",
  "io.shadow.migration.checkpoint.created.v1",
  "io.shadow.migration.checkpoint-image.ready.v1",
  "io.shadow.migration.shadow.restored.v1",
];

describe("a new Migration", () => {
  test("is asked for once, with a finalizer first, a status that says so and an Event", () => {
    const p = plan(input({ migration: migration({ pod: "orders-0", targetNode: "kube-b" }) }));
    expect(p.finalizers).toEqual([ROLLBACK_FINALIZER]);
    expect(p.request).toMatchObject({
      migrationId: ID,
      workload: "orders-0",
      source: { instance: "orders-0", node: "kube-a" },
      targetNode: "kube-b",
      strategy: "shadow",
      // The StatefulSet's ordinal pod gets its name back on the target.
      identitySwap: true,
      requestedBy: "kubernetes",
      reason: "Migration workloads/move-orders",
    });
    expect(p.status).toMatchObject({ phase: "Requested", migrationId: ID, targetNode: "kube-b" });
    expect(p.events.map((e) => e.reason)).toEqual(["MigrationRequested"]);
  });

  test("that names no node goes to a Ready, schedulable, untainted node other than its own", () => {
    const nodes = [
      node("kube-a"),
      node("kube-b", { taint: "NoSchedule" }),
      node("kube-c", { ready: false }),
      node("kube-d", { unschedulable: true }),
      node("kube-e"),
    ];
    const p = plan(
      input({
        migration: migration({ pod: "orders-0" }),
        cluster: cluster([statefulPod("orders-0", "kube-a")], nodes),
      }),
    );
    expect(p.request?.targetNode).toBe("kube-e");
  });

  test.each([
    [
      { pod: "orders-9", targetNode: "kube-b" },
      "UNKNOWN_POD",
      "no pod named orders-9 in namespace workloads",
    ],
    [{ pod: "orders-0", targetNode: "kube-z" }, "UNKNOWN_NODE", "no node named kube-z"],
    [{ pod: "orders-0", targetNode: "kube-a" }, "SAME_NODE", "pod orders-0 already runs on kube-a"],
    [{ pod: "Orders_0" }, "INVALID_SPEC", "pod: workload name: a DNS label"],
  ])("%o is refused (%s) with a message in its status and nothing else", (spec, code, message) => {
    const p = plan(input({ migration: migration(spec) }));
    expect(p.status).toMatchObject({ phase: "Rejected", rejection: { code } });
    expect(p.status?.message).toContain(message);
    expect(p.request).toBeUndefined();
    expect(p.finalizers).toBeUndefined();
    expect(p.events).toEqual([]);
  });

  test("whose pod is not a workload shadow knows, or not running, or whose node is not Ready, is refused", () => {
    const plain: V1Pod = {
      metadata: { name: "web", namespace: NS },
      spec: { nodeName: "kube-a", containers: [] },
      status: { phase: "Running" },
    };
    const pods = [plain, statefulPod("orders-1", "kube-a", "Pending")];
    const nodes = [
      node("kube-a"),
      node("kube-b", { ready: false }),
      node("kube-c", { unschedulable: true }),
    ];
    const codes = [
      { pod: "web", targetNode: "kube-c" },
      { pod: "orders-1", targetNode: "kube-c" },
    ].map(
      (spec) =>
        plan(input({ migration: migration(spec), cluster: cluster(pods, nodes) })).status?.rejection
          ?.code,
    );
    expect(codes).toEqual(["NOT_A_WORKLOAD", "POD_NOT_RUNNING"]);
    const ready = cluster([statefulPod("orders-0", "kube-a")], nodes);
    expect(
      plan(
        input({ migration: migration({ pod: "orders-0", targetNode: "kube-b" }), cluster: ready }),
      ).status?.rejection?.code,
    ).toBe("NODE_NOT_READY");
    expect(
      plan(
        input({ migration: migration({ pod: "orders-0", targetNode: "kube-c" }), cluster: ready }),
      ).status?.rejection?.code,
    ).toBe("NODE_UNSCHEDULABLE");
  });

  test("in another namespace than shadow's is refused", () => {
    const p = plan(
      input({ migration: migration({ pod: "orders-0" }, { namespace: "elsewhere" }) }),
    );
    expect(p.status?.rejection?.code).toBe("WRONG_NAMESPACE");
  });

  test("asked for already waits for its view, and a refused one stays refused", () => {
    const requested: MigrationStatus = { phase: "Requested", migrationId: ID };
    expect(
      plan(
        input({
          migration: migration({ pod: "orders-0", targetNode: "kube-b" }),
          current: requested,
        }),
      ),
    ).toEqual({ events: [], requeueMs: 2000 });
    const refused: MigrationStatus = { phase: "Rejected", message: "no node named kube-z" };
    expect(
      plan(
        input({
          migration: migration({ pod: "orders-0", targetNode: "kube-z" }),
          current: refused,
        }),
      ),
    ).toEqual({ events: [] });
  });
});

describe("a requested Migration", () => {
  const m = migration(
    { pod: "orders-0", targetNode: "kube-b" },
    { finalizers: [ROLLBACK_FINALIZER] },
  );

  test("mirrors its migration's view: phase, step, times, trace; an Event per step", () => {
    const view = viewAfter(toCatchUp);
    const current: MigrationStatus = { phase: "Requested", migrationId: ID };
    const traceUiUrl = "https://jaeger.example.org";
    const p = plan(input({ migration: m, view, current, traceUiUrl }));
    expect(p.status).toMatchObject({
      phase: "Running",
      step: "1/catch-up",
      migrationId: ID,
      observedGeneration: 1,
      traceId: "0af7651916cd43dd8448eb211c80319c",
      traceLink: "https://jaeger.example.org/trace/0af7651916cd43dd8448eb211c80319c",
    });
    expect(p.status?.phases?.map((ph) => ph.phase)).toEqual([
      "checkpoint",
      "image",
      "restore",
      "catch-up",
    ]);
    // 141.5 in the view: the CRD types it an integer, and the API server refuses a fraction.
    expect(p.status?.checkpointPauseMs).toBe(142);
    expect(p.events).toEqual([
      { type: "Normal", reason: "CatchUp", note: `${ID}: round 1, catch-up started` },
    ]);
    expect(p.finalizers).toBeUndefined();
    // The same view again: nothing to write, nothing to record.
    expect(plan(input({ migration: m, view, current: p.status, traceUiUrl }))).toEqual({
      events: [],
    });
  });

  test("that completed says how long it took and where the workload serves, and lets go of its finalizer", () => {
    const view = viewAfter([
      ...toCatchUp,
      "io.shadow.migration.shadow.caught-up.v1",
      "io.shadow.migration.fence.completed.v1",
      "io.shadow.migration.completed.v1",
    ]);
    const p = plan(
      input({
        migration: m,
        view,
        current: { phase: "Running", migrationId: ID, step: "1/fence" },
      }),
    );
    expect(p.status).toMatchObject({ phase: "Completed", downtime: "0.0s", downtimeMs: 0 });
    expect(p.status?.took).toMatch(/^\d+\.\ds$/);
    expect(p.status?.step).toBeUndefined();
    expect(p.status?.message).toMatch(/^completed in .*serves on/);
    expect(p.finalizers).toEqual([]);
    expect(p.events.map((e) => e.reason)).toEqual(["MigrationCompleted"]);
  });
});

describe("a deleted Migration", () => {
  const deleting = (at: string) =>
    migration(
      { pod: "orders-0", targetNode: "kube-b" },
      { finalizers: [ROLLBACK_FINALIZER], deletionTimestamp: new Date(at) },
    );

  test("whose migration runs asks for a rollback and waits for it", () => {
    const view = viewAfter(toCatchUp);
    const p = plan(input({ migration: deleting("2026-12-06T09:59:50.000Z"), view }));
    expect(p.cancel?.type).toBe(MigrationFailed.type);
    expect(p.cancel?.data).toMatchObject({ migrationId: ID, step: "catch-up", code: "CANCELLED" });
    expect(MigrationFailed.schema.safeParse(p.cancel?.data).success).toBe(true);
    expect(p.finalizers).toBeUndefined();
    expect(p.requeueMs).toBe(2000);
  });

  test("whose migration rolled back, or ended, or that waited past its grace, is let go", () => {
    const rolledBack = viewAfter([
      ...toCatchUp,
      "io.shadow.migration.failed.v1",
      "io.shadow.migration.rolled-back.v1",
    ]);
    const letGo = plan(
      input({ migration: deleting("2026-12-06T09:59:50.000Z"), view: rolledBack }),
    );
    expect(letGo.finalizers).toEqual([]);
    expect(letGo.cancel).toBeUndefined();
    const late = plan(
      input({ migration: deleting("2026-12-06T09:57:00.000Z"), view: viewAfter(toCatchUp) }),
    );
    expect(late.finalizers).toEqual([]);
    const never = plan(input({ migration: deleting("2026-12-06T09:59:50.000Z"), view: undefined }));
    expect(never.finalizers).toEqual([]);
  });
});
