import { MigrationCompleted, MigrationFailed, outgoing, RolledBack } from "@shadow/events";
import { shadowInstanceName } from "@shadow/migration";
import { FakeRuntime } from "@shadow/runtime/fake";
import { describe, expect, it } from "vitest";
import type { RestoreDeps } from "../deps.ts";
import { onMigrationFailed } from "./migration-failed.ts";

function failure(
  migrationId: string,
  step: "restore" | "drain" | "identity-swap" | "fence",
  round: 1 | 2 = 1,
  patch: Record<string, unknown> = {},
) {
  const data = MigrationFailed.schema.parse({
    ...patch,
    migrationId,
    workload: "orders-0",
    strategy: "shadow",
    identitySwap: true,
    requestedAt: "2026-01-01T00:00:00.000Z",
    step,
    code: "X",
    reason: "broke",
    handoff: {
      round,
      from: { instance: "orders-0-shadow-a", node: "node-b" },
      to: { instance: "orders-0", node: "node-b" },
    },
  });
  const event = outgoing(MigrationFailed, data);
  return {
    id: "e",
    source: "/t",
    type: event.type,
    subject: migrationId,
    time: "2026-01-01T00:00:00Z",
    specversion: "1.0",
    datacontenttype: "application/json",
    data,
  } as never;
}

async function withNamedInstance(madeBy: string | undefined) {
  const runtime = new FakeRuntime(["node-a", "node-b", "node-c"]);
  // The round's `from` side: the shadow of round 1, serving.
  await runtime.run(
    { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
    {
      workload: "orders-0",
      instance: "orders-0-shadow-a",
      node: "node-b",
      role: "shadow",
      incarnation: 1,
      migrationId: "m-1",
    },
  );
  await runtime.run(
    { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
    {
      workload: "orders-0",
      instance: "orders-0",
      node: "node-b",
      role: "shadow",
      incarnation: 2,
      ...(madeBy ? { migrationId: madeBy } : {}),
    },
  );
  return {
    runtime,
    deps: { runtime, catchUps: { watch() {}, stop() {} } } as unknown as RestoreDeps,
  };
}

describe("restore-svc's compensation", () => {
  it("removes the copy this migration made and reports who keeps serving", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    const out = await onMigrationFailed(failure("m-1", "restore"), deps);
    expect(runtime.instances.has("orders-0")).toBe(false);
    expect(out[0]?.type).toBe(RolledBack.type);
    expect(RolledBack.schema.parse(out[0]?.data).servingInstance).toEqual({
      instance: "orders-0-shadow-a",
      node: "node-b",
    });
  });

  it("never removes an instance of that name that another migration made", async () => {
    const { runtime, deps } = await withNamedInstance("m-2");
    const out = await onMigrationFailed(failure("m-1", "restore"), deps);
    expect(runtime.instances.has("orders-0")).toBe(true);
    const { compensated } = RolledBack.schema.parse(out[0]?.data);
    expect(compensated.filter((c) => c.startsWith("removed"))).toEqual([]);
  });

  it("releases the migration's checkpoints and images, as a completed one does", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    const out = await onMigrationFailed(failure("m-1", "restore"), deps);
    expect(runtime.released).toEqual(["m-1"]);
    expect(RolledBack.schema.parse(out[0]?.data).compensated).toContain(
      "released its checkpoints and images",
    );
  });

  it("names the copy that really serves: not the source when it is gone, none when nothing runs", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    // Something else moved the workload meanwhile: the source is gone, a primary runs on node-c.
    await runtime.remove("orders-0-shadow-a");
    await runtime.run(
      { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
      {
        workload: "orders-0",
        instance: "orders-0-x",
        node: "node-c",
        role: "primary",
        incarnation: 3,
      },
    );
    const moved = await onMigrationFailed(failure("m-1", "restore"), deps);
    expect(RolledBack.schema.parse(moved[0]?.data).servingInstance).toEqual({
      instance: "orders-0-x",
      node: "node-c",
    });
    await runtime.remove("orders-0-x");
    const none = await onMigrationFailed(failure("m-1", "restore"), deps);
    expect(RolledBack.schema.parse(none[0]?.data).servingInstance).toBeUndefined();
  });

  it("rolls forward, not back, once the fence is passed (a drain failure)", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    expect(await onMigrationFailed(failure("m-1", "drain"), deps)).toEqual([]);
    expect(runtime.instances.has("orders-0")).toBe(true);
  });

  it("never removes the last live copy: with the source gone, the restored copy and its checkpoint stay", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    // The round's source died (SIGKILL, its node lost): the restored copy is all that lives.
    await runtime.remove("orders-0-shadow-a");
    const out = await onMigrationFailed(failure("m-1", "restore"), deps);
    expect(runtime.instances.has("orders-0")).toBe(true);
    expect(runtime.released).toEqual([]);
    const rolled = RolledBack.schema.parse(out[0]?.data);
    expect(rolled.compensated[0]).toMatch(/^kept orders-0 on node-b: .* last live copy/);
    expect(rolled.servingInstance).toEqual({ instance: "orders-0", node: "node-b" });
  });

  it("releases again after a failed release, and ends the rollback once it succeeds", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    runtime.failNext("release", new Error("kube-a: agent restarting"));
    const out = await onMigrationFailed(failure("m-1", "restore"), deps);
    expect(runtime.calls.filter((c) => c.startsWith("release"))).toHaveLength(2);
    expect(RolledBack.schema.parse(out[0]?.data).compensated).toContain(
      "released its checkpoints and images",
    );
  });

  it("ends the rollback when the release keeps failing, naming what it left", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    let attempts = 0;
    runtime.release = async () => {
      attempts += 1;
      throw new Error("kube-a: unauthorized");
    };
    const out = await onMigrationFailed(failure("m-1", "restore"), deps);
    expect(attempts).toBe(3);
    // The workload serves on, and the copy this migration made is gone all the same.
    expect(runtime.instances.has("orders-0")).toBe(false);
    const rolled = RolledBack.schema.parse(out[0]?.data);
    expect(rolled.servingInstance).toEqual({ instance: "orders-0-shadow-a", node: "node-b" });
    expect(rolled.compensated.at(-1)).toMatch(
      /^left its checkpoints and images after 3 failed releases \(kube-a: unauthorized\)/,
    );
  });

  it("ends a failed round 2 as moved, name not restored: the workload serves on the target", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    const out = await onMigrationFailed(failure("m-1", "identity-swap", 2), deps);
    // The round's copy under the workload's name goes; the shadow of round 1 serves on.
    expect(runtime.instances.has("orders-0")).toBe(false);
    expect(out.map((e) => e.type)).toEqual([MigrationCompleted.type]);
    const done = MigrationCompleted.schema.parse(out[0]?.data);
    expect(done.final).toEqual({ instance: "orders-0-shadow-a", node: "node-b" });
    expect(done.swapFailure).toBe("identity-swap failed: broke");
    expect(runtime.released).toEqual(["m-1"]);
  });

  it("rolls a failed name restore back: the workload serves on as it did, under the shadow's name", async () => {
    const { runtime, deps } = await withNamedInstance("m-2");
    const out = await onMigrationFailed(
      failure("m-2", "identity-swap", 2, { nameRestore: true }),
      deps,
    );
    expect(runtime.instances.has("orders-0")).toBe(false);
    expect(runtime.instances.get("orders-0-shadow-a")?.state).toBe("running");
    expect(out.map((e) => e.type)).toEqual([RolledBack.type]);
    expect(RolledBack.schema.parse(out[0]?.data).servingInstance).toEqual({
      instance: "orders-0-shadow-a",
      node: "node-b",
    });
  });

  it("rolls a name restore's fence forward past its pass: the shadow it renamed goes", async () => {
    const runtime = new FakeRuntime(["node-a", "node-b"]);
    const spec = { entry: "svc.js", memoryBytes: 1, httpPort: 8080 };
    const at = { workload: "orders-0", node: "node-b", role: "shadow" as const };
    // Made by m-1, a migration without identity swap; m-2 restores the name.
    await runtime.run(spec, {
      ...at,
      instance: shadowInstanceName("orders-0", "m-1"),
      incarnation: 1,
      migrationId: "m-1",
    });
    await runtime.run(spec, { ...at, instance: "orders-0", incarnation: 2, migrationId: "m-2" });
    const deps = {
      runtime,
      catchUps: { watch() {}, stop() {} },
      progress: async () => ({ offsets: [], mode: "primary" as const }),
    } as unknown as RestoreDeps;
    const event = failure("m-2", "fence", 2, { nameRestore: true }) as {
      data: { handoff: { from: { instance: string } } };
    };
    event.data.handoff.from.instance = shadowInstanceName("orders-0", "m-1");
    const out = await onMigrationFailed(event as never, deps);
    expect(out.map((e) => e.type)).toEqual([MigrationCompleted.type]);
    expect(runtime.instances.has(shadowInstanceName("orders-0", "m-1"))).toBe(false);
    expect(MigrationCompleted.schema.parse(out[0]?.data).final).toEqual({
      instance: "orders-0",
      node: "node-b",
    });
  });

  it("rolls a round 2 back only when nothing serves on the target any more", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    await runtime.remove("orders-0-shadow-a");
    await runtime.remove("orders-0");
    const out = await onMigrationFailed(failure("m-1", "identity-swap", 2), deps);
    expect(out.map((e) => e.type)).toEqual([RolledBack.type]);
  });

  it("rolls forward a fence that failed after its shadow passed: the pass came first in the log", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    // The shadow read its FencePassed back before any FenceAborted: it is the primary.
    const asked: string[] = [];
    const withShadow = {
      ...deps,
      progress: async (instance: string) => {
        asked.push(instance);
        return { offsets: [], mode: "primary" as const };
      },
    };
    const out = await onMigrationFailed(failure("m-1", "fence"), withShadow);
    expect(asked).toEqual(["orders-0"]);
    // The handed-over source goes, the shadow stays and is what the migration ends with.
    expect(runtime.instances.has("orders-0-shadow-a")).toBe(false);
    expect(runtime.instances.has("orders-0")).toBe(true);
    expect(out.map((e) => e.type)).toEqual([MigrationCompleted.type]);
    const done = MigrationCompleted.schema.parse(out[0]?.data);
    expect(done.final).toEqual({ instance: "orders-0", node: "node-b" });
    // Round 1 of an identity swap: round 2 is not run, and the record says so.
    expect(done.swapFailure).toMatch(
      /^fence failed after the shadow passed its cut: broke; round 2 not run$/,
    );
    expect(runtime.released).toEqual(["m-1"]);
  });

  it("rolls a fence back when its shadow idled: the abort came first", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    const withShadow = {
      ...deps,
      progress: async () => ({ offsets: [], mode: "idle" as const }),
    };
    const out = await onMigrationFailed(failure("m-1", "fence"), withShadow);
    expect(out.map((e) => e.type)).toEqual([RolledBack.type]);
    expect(runtime.instances.has("orders-0")).toBe(false);
    expect(runtime.instances.has("orders-0-shadow-a")).toBe(true);
  });

  it("rolls a fence back when its shadow cannot say in time", async () => {
    const { runtime, deps } = await withNamedInstance("m-1");
    const withShadow = {
      ...deps,
      fenceVerdictTimeoutMs: 300,
      progress: async () => ({ offsets: [], mode: "shadow" as const }),
    };
    const out = await onMigrationFailed(failure("m-1", "fence"), withShadow);
    expect(out.map((e) => e.type)).toEqual([RolledBack.type]);
    expect(runtime.instances.has("orders-0")).toBe(false);
  });
});
