import {
  CheckpointCreated,
  CheckpointImageReady,
  MigrationAdmitted,
  MigrationRequested,
  ShadowRestored,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { MigrationProjection } from "@shadow/migration";
import { FakeRuntime } from "@shadow/runtime/fake";
import type { MigrationSamples } from "@shadow/timeline";
import { beforeEach, describe, expect, it } from "vitest";
import { createGateway } from "../app.ts";
import { Verdicts } from "../verdicts.ts";

const token = "t0ken";
let offset = 0;
/** The next position of the one-partition migrations log, keyed by the samples' workload. */
const nextPosition = () => ({ partition: 0, offset: String(offset++), key: "orders" });
const auth = { authorization: `Bearer ${token}` };
let projection: MigrationProjection;

beforeEach(() => {
  projection = new MigrationProjection();
  const data = sampleData("m-t");
  const steps = [MigrationRequested, CheckpointCreated, CheckpointImageReady, ShadowRestored];
  for (const [i, e] of steps.entries()) {
    projection.apply(
      {
        id: `e${i}`,
        type: e.type,
        time: `2026-01-02T03:04:0${6 + i}Z`,
        data: data[e.type],
      },
      nextPosition(),
    );
    if (e === MigrationRequested) {
      const admitted = { ...data[MigrationRequested.type] };
      projection.apply(
        { id: "e0a", type: MigrationAdmitted.type, time: "2026-01-02T03:04:06Z", data: admitted },
        nextPosition(),
      );
    }
  }
});

const gateway = (samples?: MigrationSamples) =>
  createGateway({
    runtime: new FakeRuntime(),
    projection,
    verdicts: new Verdicts(projection),
    token,
    publish: async () => ({}),
    newMigrationId: () => "unused",
    now: () => new Date("2026-01-02T03:04:12Z"),
    ...(samples ? { samplesOf: (id: string) => (id === "m-t" ? samples : undefined) } : {}),
  });

const sampled: MigrationSamples = {
  progress: [0, 100, 200].map((ms, i) => ({
    at: Date.parse("2026-01-02T03:04:07Z") + ms,
    instance: "orders-0",
    node: "node-a",
    offsets: [{ topic: "orders.in", partition: 0, offset: 10 + 5 * i }],
  })),
  lag: [],
};

describe("a migration's timeline from the gateway", () => {
  it("answers the data: its phases and freeze from the log, its copies' activity from the samples", async () => {
    const res = await gateway(sampled).request("/migrations/m-t/timeline", { headers: auth });
    expect(res.status).toBe(200);
    const t = (await res.json()) as {
      phases: { phase: string }[];
      freezes: unknown[];
      activity: { copy: string; total: number }[];
      sampled: boolean;
    };
    expect(t.phases.map((p) => p.phase)).toEqual(["checkpoint", "image", "restore", "catch-up"]);
    expect(t.freezes).toEqual([
      { round: 1, copy: "orders-0@node-a", at: Date.parse("2026-01-02T03:04:02.000Z"), ms: 141.5 },
    ]);
    expect(t.activity).toEqual([expect.objectContaining({ copy: "orders-0@node-a", total: 10 })]);
    expect(t.sampled).toBe(true);
  });

  it("answers the picture as SVG, drawn from the log alone when nothing was sampled", async () => {
    const res = await gateway().request("/migrations/m-t/timeline.svg", { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    const svg = await res.text();
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('data-kind="no-activity"');
    expect(svg).toContain('data-phase="catch-up"');
  });

  it("is 404 for a migration it does not know, and needs the token like every migration route", async () => {
    const app = gateway();
    expect((await app.request("/migrations/m-9/timeline.svg", { headers: auth })).status).toBe(404);
    expect((await app.request("/migrations/m-t/timeline.svg")).status).toBe(401);
  });
});
