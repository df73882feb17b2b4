import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  MigrationAdmitted,
  MigrationCompleted,
  MigrationRequested,
  ShadowRestored,
  SourceDrained,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { MigrationProjection } from "@shadow/migration";
import { FakeRuntime } from "@shadow/runtime/fake";
import { afterEach, describe, expect, it } from "vitest";
import { startActivitySampler } from "./activity-sampler.ts";

let offset = 0;
/** The next position of the one-partition migrations log, keyed by the samples' workload. */
const nextPosition = () => ({ partition: 0, offset: String(offset++), key: "orders" });

/** An instance's status endpoint whose processed offset advances by `step` per answer. */
async function statusServer(start: number, step: number) {
  let offset = start;
  const server: Server = createServer((_req, res) => {
    offset += step;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ processed: [{ topic: "orders.in", partition: 0, offset }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe("the gateway's activity sampler", () => {
  it("samples both copies of a running migration, reads the lag in its catch-up, and stops after its end", async () => {
    const source = await statusServer(100, 5);
    const shadow = await statusServer(60, 15);
    servers.push(source.server, shadow.server);
    const runtime = new FakeRuntime(["node-a", "node-b"]);
    const spec = { entry: "svc.js", memoryBytes: 1, httpPort: 8080 };
    (
      await runtime.run(spec, {
        workload: "orders",
        instance: "orders-0",
        node: "node-a",
        role: "primary",
        incarnation: 0,
      })
    ).endpoint = source.endpoint;
    (
      await runtime.run(spec, {
        workload: "orders",
        instance: "orders-0-shadow",
        node: "node-b",
        role: "shadow",
        incarnation: 0,
      })
    ).endpoint = shadow.endpoint;
    const projection = new MigrationProjection();
    const sampler = startActivitySampler({ projection, runtime, intervalMs: 20, tailMs: 0 });
    const data = sampleData("m-s");
    projection.apply(
      {
        id: "e1",
        type: MigrationRequested.type,
        time: new Date().toISOString(),
        data: data[MigrationRequested.type],
      },
      nextPosition(),
    );
    projection.apply(
      {
        id: "e1a",
        type: MigrationAdmitted.type,
        time: new Date().toISOString(),
        data: data[MigrationRequested.type],
      },
      nextPosition(),
    );
    projection.apply(
      {
        id: "e2",
        type: ShadowRestored.type,
        time: new Date().toISOString(),
        data: data[ShadowRestored.type],
      },
      nextPosition(),
    );
    // Polls rather than sleeps: a busy machine answers fewer samples in a given time.
    for (
      let waited = 0;
      (sampler.samplesOf("m-s")?.lag.length ?? 0) < 4 && waited < 10_000;
      waited += 20
    )
      await new Promise((r) => setTimeout(r, 20));
    projection.apply(
      {
        id: "e3",
        type: MigrationCompleted.type,
        time: new Date().toISOString(),
        data: data[MigrationCompleted.type],
      },
      nextPosition(),
    );
    // A request already on its way when the migration ended may still land: then nothing more.
    await new Promise((r) => setTimeout(r, 200));
    const samples = sampler.samplesOf("m-s");
    const counted = samples?.progress.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(samples?.progress.length).toBe(counted);
    sampler.stop();
    const copies = new Set(samples?.progress.map((s) => `${s.instance}@${s.node}`));
    expect(copies).toEqual(new Set(["orders-0@node-a", "orders-0-shadow@node-b"]));
    // The shadow gains 10 records per answer on its source: the lag shrinks.
    const lag = samples?.lag.map((l) => l.records) ?? [];
    expect(lag.length).toBeGreaterThan(3);
    expect(lag.at(-1)).toBeLessThan(lag[0] as number);
    expect(sampler.samplesOf("m-other")).toBeUndefined();
  });

  it("keeps sampling past its tail until the copy serving after the end answered once, then stops", async () => {
    const projection = new MigrationProjection();
    const runtime = new FakeRuntime(["node-a", "node-b"]);
    const data = sampleData("m-late");
    const fold = (id: string, type: string) =>
      projection.apply(
        { id, type, time: new Date().toISOString(), data: data[type as keyof typeof data] },
        nextPosition(),
      );
    const sampler = startActivitySampler({ projection, runtime, intervalMs: 20, tailMs: 0 });
    fold("e1", MigrationRequested.type);
    fold("e2", MigrationAdmitted.type);
    fold("e3", MigrationCompleted.type);
    // The copy serving after the end (the sample's final: orders-0 on node-b) listens late.
    await new Promise((r) => setTimeout(r, 300));
    const serving = await statusServer(500, 1);
    servers.push(serving.server);
    (
      await runtime.run(
        { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
        {
          workload: "orders",
          instance: "orders-0",
          node: "node-b",
          role: "primary",
          incarnation: 0,
        },
      )
    ).endpoint = serving.endpoint;
    const samples = sampler.samplesOf("m-late");
    for (let waited = 0; (samples?.progress.length ?? 0) === 0 && waited < 5_000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    expect(samples?.progress.map((s) => `${s.instance}@${s.node}`)[0]).toBe("orders-0@node-b");
    await new Promise((r) => setTimeout(r, 100));
    const counted = samples?.progress.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(samples?.progress.length).toBe(counted);
    sampler.stop();
  });

  it("does not watch a migration that was over when it changed", async () => {
    const projection = new MigrationProjection();
    const data = sampleData("m-done");
    const fold = (id: string, type: string) =>
      projection.apply(
        {
          id,
          type,
          time: new Date().toISOString(),
          data: data[type as keyof typeof data],
        },
        nextPosition(),
      );
    fold("e1", MigrationRequested.type);
    fold("e2", MigrationCompleted.type);
    const sampler = startActivitySampler({
      projection,
      runtime: new FakeRuntime(),
      intervalMs: 20,
    });
    fold("e3", SourceDrained.type);
    sampler.stop();
    expect(sampler.samplesOf("m-done")).toBeUndefined();
  });
});
