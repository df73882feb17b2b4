import {
  FenceCompleted,
  type IncomingEvent,
  MigrationCompleted,
  MigrationFailed,
  SourceDrained,
  TerminalError,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { FakeRuntime } from "@shadow/runtime/fake";
import { describe, expect, it } from "vitest";
import { onFenceCompleted } from "./fence-completed.ts";

function fenceCompleted(identitySwap: boolean): IncomingEvent<typeof FenceCompleted.type> {
  return {
    specversion: "1.0",
    id: "e-1",
    source: "/shadow/fence-svc",
    type: FenceCompleted.type,
    subject: "m-1",
    time: "2026-01-02T03:04:10.000Z",
    datacontenttype: "application/json",
    data: { ...sampleData("m-1")[FenceCompleted.type], identitySwap },
  };
}

async function withSource() {
  const runtime = new FakeRuntime();
  await runtime.run(
    { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
    { workload: "orders", instance: "orders-0", node: "node-a", role: "primary", incarnation: 0 },
  );
  await runtime.run(
    { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
    {
      workload: "orders",
      instance: "orders-0-shadow",
      node: "node-b",
      role: "shadow",
      incarnation: 1,
    },
  );
  return runtime;
}

/** The step wrapper's clock: retries wait on it, not on the wall clock. */
function deps(runtime: FakeRuntime) {
  let now = Date.parse("2026-01-02T03:04:10.000Z");
  const sleep = async (ms: number) => {
    now += ms;
  };
  return { runtime, now: () => now, step: { now: () => now, sleep, stepDeadlineMs: 60_000 } };
}

describe("drain-svc", () => {
  it("releases the migration's checkpoints and images once it completes", async () => {
    const runtime = await withSource();
    await onFenceCompleted(fenceCompleted(false), deps(runtime));
    expect(runtime.released).toEqual(["m-1"]);
    expect(runtime.instances.has("orders-0")).toBe(false);
  });

  it("releases them too when the drain fails: past the fence no rollback would", async () => {
    const runtime = await withSource();
    runtime.failNext("remove", new TerminalError("runc delete: no such container state"));
    const out = await onFenceCompleted(fenceCompleted(true), deps(runtime));
    expect(out.map((e) => e.type)).toEqual([MigrationFailed.type]);
    expect(MigrationFailed.schema.parse(out[0]?.data).step).toBe("drain");
    expect(runtime.released).toEqual(["m-1"]);
  });

  it("retries a removal that fails once (the node agent busy), and the drain completes", async () => {
    const runtime = await withSource();
    runtime.failNext("remove", new Error("runc delete: device busy"));
    const out = await onFenceCompleted(fenceCompleted(false), deps(runtime));
    expect(out.map((e) => e.type)).toEqual([SourceDrained.type, MigrationCompleted.type]);
    expect(runtime.instances.has("orders-0")).toBe(false);
  });

  describe("round 2", () => {
    /** The FenceCompleted of a round 2 from `from` (on node-b) to the named instance. */
    function round2(from: string, patch: Record<string, unknown> = {}) {
      const event = fenceCompleted(true);
      event.data = {
        ...event.data,
        ...patch,
        handoff: {
          round: 2,
          from: { instance: from, node: "node-b" },
          to: { instance: "orders", node: "node-b" },
        },
      };
      return event;
    }

    async function serving(instance: string, migrationId: string | undefined) {
      const runtime = new FakeRuntime();
      await runtime.run(
        { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
        {
          workload: "orders",
          instance,
          node: "node-b",
          role: "shadow",
          incarnation: 1,
          ...(migrationId ? { migrationId } : {}),
        },
      );
      // The copy under the workload's own name this round restored, which passed the fence.
      await runtime.run(
        { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
        {
          workload: "orders",
          instance: "orders",
          node: "node-b",
          role: "shadow",
          incarnation: 2,
          migrationId: "m-1",
        },
      );
      return runtime;
    }

    it("drains a name restore's source, a shadow an earlier migration made, and completes", async () => {
      const runtime = await serving("orders-shadow-m0", "m-0");
      const out = await onFenceCompleted(
        round2("orders-shadow-m0", { nameRestore: true }),
        deps(runtime),
      );
      expect(out.map((e) => e.type)).toEqual([SourceDrained.type, MigrationCompleted.type]);
      expect(runtime.instances.has("orders-shadow-m0")).toBe(false);
      expect(MigrationCompleted.schema.parse(out[1]?.data).final).toEqual({
        instance: "orders",
        node: "node-b",
      });
    });

    it("leaves an instance under the source's name that is not the shadow that name says", async () => {
      const runtime = await serving("orders-shadow-m0", undefined);
      await onFenceCompleted(round2("orders-shadow-m0"), deps(runtime));
      expect(runtime.instances.has("orders-shadow-m0")).toBe(true);
    });
  });
});
