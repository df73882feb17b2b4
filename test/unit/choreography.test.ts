import { MigrationRequested, outgoing } from "@shadow/events";
import { FENCE_LABEL, foldMigration } from "@shadow/migration";
import { InstanceGoneError, RuntimeError } from "@shadow/runtime";
import { FakeRuntime } from "@shadow/runtime/fake";
import { describe, expect, it } from "vitest";
import { inMemoryChoreography } from "./in-memory-choreography.ts";

async function startWithSource(runtime: FakeRuntime) {
  await runtime.run(
    // It links the workload SDK: it can fence, so a shadow migration is admitted.
    { entry: "svc.js", memoryBytes: 1 << 26, httpPort: 8080, labels: { [FENCE_LABEL]: "true" } },
    { workload: "orders-0", instance: "orders-0", node: "node-a", role: "primary", incarnation: 0 },
  );
}

function request(strategy: "shadow" | "sequential", identitySwap: boolean) {
  return outgoing(
    MigrationRequested,
    MigrationRequested.schema.parse({
      migrationId: "m-1",
      workload: "orders-0",
      strategy,
      identitySwap,
      source: { instance: "orders-0", node: "node-a" },
      targetNode: "node-b",
      requestedBy: "cli",
      requestedAt: "2026-01-01T00:00:00.000Z",
    }),
  );
}

describe("the choreography, in memory", () => {
  it("moves a workload with a ShadowPod handoff: source keeps running until the fence, then is removed", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    const c = inMemoryChoreography(runtime);
    await c.publish(request("shadow", false));
    expect(c.types()).toEqual([
      "requested.v1",
      "admitted.v1",
      "checkpoint.created.v1",
      "checkpoint-image.ready.v1",
      "shadow.restored.v1",
      "shadow.caught-up.v1",
      "fence.requested.v1",
      "fence.cut.v1",
      "fence.passed.v1",
      "fence.completed.v1",
      "source.drained.v1",
      "completed.v1",
    ]);
    expect([...runtime.instances.keys()]).toEqual(["orders-0-shadow-m1"]);
    expect(runtime.instances.get("orders-0-shadow-m1")?.identity).toMatchObject({
      role: "shadow",
      incarnation: 1,
    });
    expect(runtime.released).toEqual(["m-1"]);
    // Restored as a shadow, it yielded the CPU to its source until it served alone.
    const calls = runtime.calls.filter((call) => /^(restore|setCpuPriority|remove) /.test(call));
    expect(calls).toEqual([
      expect.stringMatching(/^restore .* orders-0-shadow-m1$/),
      "setCpuPriority orders-0-shadow-m1 serving",
      "remove orders-0",
    ]);
    expect(runtime.cpuPriorities.get("orders-0-shadow-m1")).toBe("serving");
    const view = foldMigration(c.log.filter((e) => e.topic === "shadow.migrations.v1"));
    expect(view?.status).toBe("completed");
    expect(view?.final).toEqual({ instance: "orders-0-shadow-m1", node: "node-b" });
    expect(view?.phases.map((p) => p.phase)).toEqual([
      "checkpoint",
      "image",
      "restore",
      "catch-up",
      "fence",
      "drain",
    ]);
    expect(view?.handoverMs).toBe(5);
  });

  it("gives the name back with an identity swap: two fences, the named instance ends on the target", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    const c = inMemoryChoreography(runtime);
    await c.publish(request("shadow", true));
    expect(c.types().filter((t) => t === "fence.completed.v1")).toHaveLength(2);
    expect(c.types().at(-1)).toBe("completed.v1");
    expect([...runtime.instances.values()].map((i) => [i.instance, i.node])).toEqual([
      ["orders-0", "node-b"],
    ]);
    expect(runtime.instances.get("orders-0")?.identity.incarnation).toBe(2);
    expect(runtime.cpuPriorities.get("orders-0")).toBe("serving");
    const view = foldMigration(c.log.filter((e) => e.topic === "shadow.migrations.v1"));
    expect(view?.final).toEqual({ instance: "orders-0", node: "node-b" });
    expect(view?.phases.filter((p) => p.round === 2)).toHaveLength(6);
  });

  it("runs the sequential baseline: the source is stopped at the checkpoint and the copy is primary", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    const c = inMemoryChoreography(runtime);
    await c.publish(request("sequential", false));
    expect(c.types()).not.toContain("fence.requested.v1");
    expect(c.types().at(-1)).toBe("completed.v1");
    expect(runtime.calls).toContain("checkpoint orders-0");
    const copy = [...runtime.instances.values()];
    expect(copy).toHaveLength(1);
    expect(copy[0]?.identity.role).toBe("primary");
  });

  it("rolls back when the restore fails: nothing left on the target, the source still serves", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    runtime.failNext("restore", new RuntimeError("RESTORE_FAILED", "criu restore failed", false));
    const c = inMemoryChoreography(runtime);
    await c.publish(request("shadow", false));
    expect(c.types()).toContain("failed.v1");
    expect(c.types()).toContain("fence.aborted.v1");
    expect(c.types()).toContain("rolled-back.v1");
    expect([...runtime.instances.keys()]).toEqual(["orders-0"]);
    expect(runtime.instances.get("orders-0")?.state).toBe("running");
    const view = foldMigration(c.log.filter((e) => e.topic === "shadow.migrations.v1"));
    expect(view?.status).toBe("rolled-back");
    expect(view?.failure).toMatchObject({ step: "restore", code: "RESTORE_FAILED" });
  });

  it("keeps watching the catch-up through status polls an overloaded instance misses", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    let polls = 0;
    const c = inMemoryChoreography(runtime, {
      progress: async () => {
        polls += 1;
        if (polls <= 4) throw new TypeError("fetch failed");
        return { offsets: [{ topic: "in", partition: 0, offset: 9 }] };
      },
    });
    await c.publish(request("shadow", false));
    expect(polls).toBeGreaterThan(4);
    expect(c.types()).not.toContain("failed.v1");
    expect(c.types()).toContain("completed.v1");
  });

  it("ends the catch-up at once when the shadow is gone", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    const c = inMemoryChoreography(runtime, {
      progress: async (instance) => {
        if (instance !== "orders-0") throw new InstanceGoneError(instance);
        return { offsets: [{ topic: "in", partition: 0, offset: 9 }] };
      },
    });
    await c.publish(request("shadow", false));
    const failed = c.log.find((e) => e.type.endsWith("failed.v1"));
    expect(failed?.data).toMatchObject({ step: "catch-up", code: "INSTANCE_GONE" });
    expect(c.types()).toContain("rolled-back.v1");
  });

  it("rolls back when the shadow never catches up, and removes the shadow it restored", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    const c = inMemoryChoreography(runtime, {
      progress: async (instance) => ({
        offsets: [{ topic: "in", partition: 0, offset: instance === "orders-0" ? 500 : 3 }],
      }),
    });
    await c.publish(request("shadow", false));
    const failed = c.log.find((e) => e.type.endsWith("failed.v1"));
    expect(failed?.data).toMatchObject({ step: "catch-up", code: "CATCH_UP_TIMEOUT" });
    expect(c.types()).toContain("rolled-back.v1");
    expect([...runtime.instances.keys()]).toEqual(["orders-0"]);
  });

  it("slows a source that outpaces its shadow until the shadow catches up (auto-converge)", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    // Per status poll the shadow replays 8 records; the source takes 10, or 10 × its CPU cap.
    const at = { source: 100, shadow: 0 };
    const c = inMemoryChoreography(runtime, {
      catchUpTimeoutMs: 60_000,
      convergeWindowMs: 1_000,
      progress: async (instance) => {
        if (instance === "orders-0") at.source += 10 * (runtime.cpuLimits.get("orders-0") ?? 1);
        else at.shadow = Math.min(at.source, at.shadow + 8);
        const offset = instance === "orders-0" ? at.source : at.shadow;
        return { offsets: [{ topic: "in", partition: 0, offset }] };
      },
    });
    await c.publish(request("shadow", false));
    const caughtUp = c.log.find((e) => e.type.endsWith("caught-up.v1"));
    expect(caughtUp?.data).toMatchObject({ sourceCpuLimit: 0.5 });
    expect(runtime.calls).toContain("limitCpu orders-0 0.5");
    expect(c.types()).toContain("completed.v1");
  });

  it("gives a slowed source its full CPU back when the migration rolls back", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    const c = inMemoryChoreography(runtime, {
      catchUpTimeoutMs: 5_000,
      convergeWindowMs: 1_000,
      progress: async (instance) => ({
        offsets: [{ topic: "in", partition: 0, offset: instance === "orders-0" ? 500 : 3 }],
      }),
    });
    await c.publish(request("shadow", false));
    expect(runtime.calls).toContain("limitCpu orders-0 0.25");
    // The watch said what it did while it went on: each cap, and the lag every 5 s.
    const slowed = c.restoreLog.filter((l) => l.message === "source slowed");
    expect(slowed.map((l) => (l.fields as { sourceCpuLimit: number }).sourceCpuLimit)).toEqual([
      0.5, 0.35, 0.25,
    ]);
    const progress = c.restoreLog.filter((l) => l.message === "catch-up progress");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)?.fields).toMatchObject({
      lag: 497,
      sourceCpuLimit: 0.25,
      unanswered: 0,
    });
    expect(c.types()).toContain("rolled-back.v1");
    expect(runtime.cpuLimits.has("orders-0")).toBe(false);
    expect(runtime.instances.get("orders-0")?.state).toBe("running");
  });

  it("rolls back when the target node vanishes before the restore", async () => {
    const runtime = new FakeRuntime();
    await startWithSource(runtime);
    const c = inMemoryChoreography(runtime);
    const original = runtime.preflight.bind(runtime);
    runtime.preflight = async (image, node) => {
      runtime.removeNode("node-b");
      return original(image, node);
    };
    await c.publish(request("shadow", false));
    const failed = c.log.find((e) => e.type.endsWith("failed.v1"));
    expect(failed?.data).toMatchObject({ step: "restore", code: "UNKNOWN_NODE" });
    expect(c.types()).toContain("rolled-back.v1");
    expect(runtime.instances.get("orders-0")?.state).toBe("running");
  });
});
