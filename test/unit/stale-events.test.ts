import { MigrationFailed, MigrationRequested, outgoing, topics } from "@shadow/events";
import { FENCE_LABEL, failed } from "@shadow/migration";
import { FakeRuntime } from "@shadow/runtime/fake";
import { describe, expect, it } from "vitest";
import { inMemoryChoreography } from "./in-memory-choreography.ts";

async function withSource() {
  const runtime = new FakeRuntime(["node-a", "node-b", "node-c"]);
  await runtime.run(
    { entry: "svc.js", memoryBytes: 1 << 26, httpPort: 8080, labels: { [FENCE_LABEL]: "true" } },
    { workload: "orders-0", instance: "orders-0", node: "node-a", role: "primary", incarnation: 0 },
  );
  return runtime;
}

function request(migrationId: string, targetNode = "node-b", identitySwap = false) {
  return outgoing(MigrationRequested, {
    migrationId,
    workload: "orders-0",
    strategy: "shadow",
    identitySwap,
    source: { instance: "orders-0", node: "node-a" },
    targetNode,
    requestedBy: "kafka",
    requestedAt: "2026-01-01T00:00:00.000Z",
  });
}

/** What the world looks like: instances with their place and role, and the runtime's calls. */
function world(runtime: FakeRuntime) {
  return {
    instances: [...runtime.instances.values()].map((i) => `${i.instance}@${i.node} ${i.state}`),
    calls: runtime.calls.length,
  };
}

describe("a replayed or stale event is a no-op for every service", () => {
  it.each([
    ["completed", false, "completed.v1"],
    ["completed with an identity swap", true, "completed.v1"],
  ])(
    "replaying every event of a %s migration, byte for byte, restores, fences and removes nothing",
    async (_what, swap, last) => {
      const runtime = await withSource();
      const c = inMemoryChoreography(runtime);
      await c.publish(request("m-1", "node-b", swap));
      expect(c.types().at(-1)).toBe(last);
      const before = world(runtime);
      const finished = [...c.log];
      // The SDK's own refusal of an old fence is the SDK's part; here the services are judged.
      c.answerFences(false);
      for (const event of finished) await c.replay(event);
      expect(c.log).toHaveLength(finished.length * 2);
      expect(world(runtime).instances).toEqual(before.instances);
      // At most a release again (of what is gone already): nothing checkpointed or restored.
      const since = runtime.calls.slice(before.calls);
      expect(since.filter((call) => !call.startsWith("release "))).toEqual([]);
    },
  );

  it("replaying a rolled-back migration's events restores no shadow and releases what is left", async () => {
    const runtime = await withSource();
    const c = inMemoryChoreography(runtime, {
      progress: async (instance) => ({
        offsets: [{ topic: "in", partition: 0, offset: instance === "orders-0" ? 500 : 3 }],
      }),
    });
    await c.publish(request("m-1"));
    expect(c.types()).toContain("rolled-back.v1");
    const before = world(runtime);
    const finished = [...c.log];
    for (const event of finished) await c.replay(event);
    expect(c.log).toHaveLength(finished.length * 2);
    expect(world(runtime).instances).toEqual(["orders-0@node-a running"]);
    expect(runtime.calls.slice(before.calls).filter((x) => !x.startsWith("release "))).toEqual([]);
    // The rollback released the migration's checkpoint and image.
    expect(runtime.released).toContain("m-1");
  });

  it("replaying a live migration's earlier steps starts none of them again", async () => {
    const runtime = await withSource();
    const c = inMemoryChoreography(runtime, { answerFence: false });
    await c.publish(request("m-1"));
    // It waits at the fence: the source has not answered.
    expect(c.types().at(-1)).toBe("fence.requested.v1");
    const before = world(runtime);
    const length = c.log.length;
    for (const event of c.log.slice(0, length)) await c.replay(event);
    expect(c.log).toHaveLength(length * 2);
    expect(world(runtime)).toEqual(before);
  });

  it("refuses a second request while a migration is under way, and checkpoints nothing for it", async () => {
    const runtime = await withSource();
    const c = inMemoryChoreography(runtime, { answerFence: false });
    await c.publish(request("m-1"));
    const checkpoints = runtime.calls.filter((x) => x.startsWith("checkpoint ")).length;
    await c.publish(request("m-2", "node-c"));
    const rejected = c.log.find((e) => e.type.endsWith("rejected.v1"));
    expect(rejected?.data).toMatchObject({
      migrationId: "m-2",
      code: "ALREADY_MIGRATING",
      runningMigrationId: "m-1",
    });
    expect(runtime.calls.filter((x) => x.startsWith("checkpoint ")).length).toBe(checkpoints);
  });

  it("rolls back once when a migration fails twice (its step and the watchdog)", async () => {
    const runtime = await withSource();
    const c = inMemoryChoreography(runtime, { answerFence: false });
    await c.publish(request("m-1"));
    const requested = c.log.find((e) => e.type === MigrationRequested.type);
    const d = MigrationRequested.schema.parse(requested?.data);
    const handoff = {
      round: 1 as const,
      from: d.source,
      to: { instance: "orders-0-shadow-m1", node: "node-b" },
    };
    await c.publish(failed({ ...d, handoff }, "fence", new Error("source never answered")));
    await c.publish(failed({ ...d, handoff }, "fence", new Error("step deadline passed")));
    const rollbacks = c.log.filter((e) => e.type.endsWith("rolled-back.v1"));
    expect(rollbacks).toHaveLength(1);
    expect(
      c.log.filter((e) => e.type === MigrationFailed.type && e.topic === topics.migrations),
    ).toHaveLength(2);
    expect(world(runtime).instances).toEqual(["orders-0@node-a running"]);
  });
});
