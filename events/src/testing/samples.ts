import type { EventData, EventType } from "../catalog/index.ts";

/**
 * One valid data value for every event type of the catalog, for tests here and in the
 * services. Typed by the catalog, so a change to an event's shape fails the type check until
 * its sample follows.
 */
export function sampleData(migrationId = "m-sample-1"): { [T in EventType]: EventData<T> } {
  const base = {
    migrationId,
    workload: "orders",
    strategy: "shadow" as const,
    identitySwap: true,
    requestedAt: "2026-01-02T03:04:05.678Z",
  };
  const handoff = {
    round: 1 as const,
    from: { instance: "orders-0", node: "node-a" },
    to: { instance: "orders-0-shadow", node: "node-b" },
  };
  const cut = [
    { topic: "orders.in", partition: 0, offset: 41 },
    { topic: "orders.in", partition: 1, offset: -1 },
  ];
  const fence = { ...base, handoff, fenceId: `${migrationId}/fence-1` };
  const request = {
    ...base,
    source: { instance: "orders-0", node: "node-a" },
    targetNode: "node-b",
    requestedBy: "cli" as const,
  };
  return {
    "io.shadow.migration.requested.v1": { ...request, reason: "rebalance" },
    "io.shadow.migration.admitted.v1": request,
    "io.shadow.migration.rejected.v1": {
      ...request,
      code: "ALREADY_MIGRATING",
      reason: "workload orders is already migrating: m-running-1",
      runningMigrationId: "m-running-1",
    },
    "io.shadow.node.pressure.detected.v1": {
      node: "node-a",
      kind: "memory",
      value: 0.93,
      threshold: 0.9,
      observedAt: "2026-01-02T03:04:00.000Z",
    },
    "io.shadow.node.pressure.decided.v1": {
      node: "node-a",
      kind: "memory",
      code: "MIGRATE",
      reason: "memory 93% of the node's limit (mark 90%): orders-0 gives back 212 MiB most",
      dryRun: false,
      decidedAt: "2026-01-02T03:04:01.000Z",
      value: 0.93,
      threshold: 0.9,
      migration: {
        migrationId,
        workload: "orders",
        instance: "orders-0",
        targetNode: "node-b",
        reliefBytes: 222_298_112,
      },
      passedOver: [{ workload: "billing", why: "opted out (shadow.io/migrate: never)" }],
    },
    "io.shadow.migration.checkpoint.created.v1": {
      ...base,
      handoff,
      checkpointId: "ckpt-1",
      leftRunning: true,
      pauseMs: 141.5,
      frozenAt: "2026-01-02T03:04:02.000Z",
      dumpMs: 230,
      sizeBytes: 16_777_216,
      offsetsAtDump: cut,
    },
    "io.shadow.migration.checkpoint-image.ready.v1": {
      ...base,
      handoff,
      checkpointId: "ckpt-1",
      imageRef: "127.0.0.1:5000/shadow/orders-0:ckpt-1",
      digest: `sha256:${"ab".repeat(32)}`,
      sizeBytes: 16_800_000,
      buildMs: 310,
      transferMs: 95,
      transfer: "registry",
    },
    "io.shadow.migration.shadow.restored.v1": {
      ...base,
      handoff,
      imageRef: "127.0.0.1:5000/shadow/orders-0:ckpt-1",
      restoreMs: 104,
    },
    "io.shadow.migration.shadow.caught-up.v1": {
      ...base,
      handoff,
      lagBehindSource: 3,
      sourceOffsets: cut,
      shadowOffsets: [{ topic: "orders.in", partition: 0, offset: 38 }],
      replayMs: 420,
    },
    "io.shadow.migration.source.lost.v1": {
      ...base,
      handoff,
      cut,
      shadowOffsets: [{ topic: "orders.in", partition: 0, offset: 38 }],
      lagBehindSource: 3,
    },
    "io.shadow.migration.fence.requested.v1": fence,
    "io.shadow.migration.fence.cut.v1": {
      ...fence,
      instance: "orders-0",
      cut,
      pausedAt: "2026-01-02T03:04:06.000Z",
    },
    "io.shadow.migration.fence.passed.v1": {
      ...fence,
      instance: "orders-0-shadow",
      cut,
      pausedAt: "2026-01-02T03:04:06.000Z",
      passedAt: "2026-01-02T03:04:06.004Z",
    },
    "io.shadow.migration.fence.completed.v1": { ...fence, cut, handoverMs: 4.2 },
    "io.shadow.migration.fence.aborted.v1": { ...fence, reason: "shadow died before the cut" },
    "io.shadow.migration.source.drained.v1": { ...base, handoff, drainMs: 37 },
    "io.shadow.migration.identity-swap.requested.v1": { ...base, handoff },
    "io.shadow.migration.completed.v1": {
      ...base,
      final: { instance: "orders-0", node: "node-b" },
      totalMs: 5120,
    },
    "io.shadow.migration.failed.v1": {
      ...base,
      step: "restore",
      reason: "runc restore exited 1",
      code: "restore-failed",
      handoff,
    },
    "io.shadow.migration.rolled-back.v1": {
      ...base,
      reason: "restore failed",
      compensated: ["checkpoint", "image"],
      servingInstance: { instance: "orders-0", node: "node-a" },
    },
    "io.shadow.migration.checkpoint.archived.v1": {
      ...base,
      imageRef: `127.0.0.1:5000/shadow/m-1:ckpt-1@sha256:${"cd".repeat(32)}`,
      digest: `sha256:${"cd".repeat(32)}`,
      sizeBytes: 16_800_000,
      buildMs: 310,
      pushMs: 120,
    },
  };
}
