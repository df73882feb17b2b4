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
});
