import {
  CheckpointCreated,
  CheckpointImageReady,
  MigrationAdmitted,
  MigrationRequested,
  type OutgoingEvent,
  ShadowRestored,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { FENCE_LABEL, MigrationProjection } from "@shadow/migration";
import { FakeRuntime } from "@shadow/runtime/fake";
import { beforeEach, describe, expect, it } from "vitest";
import { createGateway } from "./app.ts";
import type { GatewayDeps } from "./deps.ts";
import { Verdicts } from "./verdicts.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely; the assertions check their shape
type Json = any;

const token = "t0ken";
let runtime: FakeRuntime;
let projection: MigrationProjection;
let emitted: OutgoingEvent[];
let app: ReturnType<typeof createGateway>;
/** Whether the stand-in admission answers at all (false: the verdict never comes). */
let admissionUp: boolean;
/** The next offset of the one-partition log the projection folds. */
let offset: number;
let gatewayDeps: GatewayDeps;

/** Appends an event to the log the projection folds, keyed by its workload as the bus keys it. */
function append(type: string, data: { workload: string }) {
  projection.apply(
    { id: `e${offset}`, type, time: "2026-01-01T00:00:00Z", data },
    { partition: 0, offset: String(offset++), key: data.workload },
  );
}

const spec = (labels: Record<string, string> = { [FENCE_LABEL]: "true" }) => ({
  entry: "svc.js",
  memoryBytes: 1 << 26,
  httpPort: 8080,
  labels,
});

beforeEach(async () => {
  runtime = new FakeRuntime(["node-a", "node-b", "node-c"]);
  await runtime.run(spec(), {
    workload: "orders-0",
    instance: "orders-0",
    node: "node-a",
    role: "primary",
    incarnation: 0,
  });
  projection = new MigrationProjection();
  emitted = [];
  admissionUp = true;
  offset = 0;
  let n = 0;
  gatewayDeps = {
    runtime,
    projection,
    verdicts: new Verdicts(projection),
    verdictTimeoutMs: 200,
    token,
    // The log: the request lands in it, and admission admits whatever the ledger left pending
    // (a request made while another was under way is refused by the ledger itself).
    publish: async (event) => {
      emitted.push(event);
      const data = MigrationRequested.schema.parse(event.data);
      append(event.type, data);
      if (admissionUp && projection.get(data.migrationId)?.status === "pending") {
        const { reason: _, ...request } = data;
        append(MigrationAdmitted.type, request);
      }
      return { traceId: "4bf92f3577b34da6a3ce929d0e0e4736" };
    },
    newMigrationId: () => `m-${++n}`,
    now: () => new Date("2026-01-01T00:00:00Z"),
    traceUiUrl: "https://jaeger.example.org",
  };
  app = createGateway(gatewayDeps);
});

const post = (body: unknown, auth = `Bearer ${token}`) =>
  app.request("/migrations", {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST /migrations", () => {
  it("emits one valid MigrationRequested and answers 202 with the id and trace link", async () => {
    const res = await post({ workload: "orders-0", targetNode: "node-b" });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({
      migrationId: "m-1",
      targetNode: "node-b",
      strategy: "shadow",
      identitySwap: true,
      traceLink: "https://jaeger.example.org/trace/4bf92f3577b34da6a3ce929d0e0e4736",
    });
    expect(emitted).toHaveLength(1);
    expect(emitted[0]?.type).toBe(MigrationRequested.type);
    const data = MigrationRequested.schema.parse(emitted[0]?.data);
    expect(data.source).toEqual({ instance: "orders-0", node: "node-a" });
  });

  it("links no trace when no trace UI is configured (the local Jaeger has none), and still names the trace", async () => {
    const { traceUiUrl: _, ...noTraceUi } = gatewayDeps;
    const bare = createGateway({ ...noTraceUi, newMigrationId: () => "m-bare" });
    const res = await bare.request("/migrations", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ workload: "orders-0", targetNode: "node-b" }),
    });
    const body = (await res.json()) as Json;
    expect(body.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(body).not.toHaveProperty("traceLink");
  });

  it("takes a former shadow that now serves alone as the source of the next migration", async () => {
    await runtime.remove("orders-0");
    await runtime.run(spec(), {
      workload: "orders-0",
      instance: "orders-0-shadow-ab",
      node: "node-b",
      role: "shadow",
      incarnation: 1,
    });
    const res = await post({ workload: "orders-0", targetNode: "node-a" });
    expect(res.status).toBe(202);
    expect(((await res.json()) as Json).source).toEqual({
      instance: "orders-0-shadow-ab",
      node: "node-b",
    });
  });

  describe("a name restore", () => {
    /** orders-0 moved to node-b without identity swap: it serves there as m-0's shadow. */
    async function servingAsShadow() {
      await runtime.remove("orders-0");
      await runtime.run(spec(), {
        workload: "orders-0",
        instance: "orders-0-shadow-m0",
        node: "node-b",
        role: "shadow",
        incarnation: 1,
        migrationId: "m-0",
      });
    }

    it("asks for round 2 alone on the node it serves on, with identity swap", async () => {
      await servingAsShadow();
      const res = await post({ workload: "orders-0", nameRestore: true });
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({
        targetNode: "node-b",
        identitySwap: true,
        nameRestore: true,
        source: { instance: "orders-0-shadow-m0", node: "node-b" },
      });
      expect(MigrationRequested.schema.parse(emitted[0]?.data)).toMatchObject({
        nameRestore: true,
        targetNode: "node-b",
      });
    });

    it("is refused for a workload serving under its own name, and emits nothing", async () => {
      const res = await post({ workload: "orders-0", nameRestore: true });
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({
        code: "NAME_RESTORE_REFUSED",
        error: "workload orders-0 already serves under its own name",
      });
      expect(emitted).toHaveLength(0);
    });

    it("is what a request for the node it serves on points to, when it serves under a shadow's name", async () => {
      await servingAsShadow();
      const res = await post({ workload: "orders-0", targetNode: "node-b" });
      expect(res.status).toBe(422);
      const error = (await res.json()) as Json;
      expect(error.code).toBe("SAME_NODE");
      expect(error.error).toContain("it serves there as orders-0-shadow-m0");
      expect(error.error).toContain("--restore-name");
    });
  });

  it("picks a target when asked for auto, never the source's node", async () => {
    await runtime.run(
      { entry: "x.js", memoryBytes: 1, httpPort: 1 },
      { workload: "other", instance: "other", node: "node-b", role: "primary", incarnation: 0 },
    );
    const res = await post({ workload: "orders-0" });
    expect(res.status).toBe(202);
    expect(((await res.json()) as Json).targetNode).toBe("node-c");
  });

  it.each([
    ["no token", { workload: "orders-0" }, "", 401],
    ["a wrong token", { workload: "orders-0" }, "Bearer nope", 401],
    ["a body that is not JSON", "{nope", undefined, 400],
    ["an unknown field", { workload: "orders-0", colour: "red" }, undefined, 400],
    ["a workload name that is not a DNS label", { workload: "Orders_0" }, undefined, 400],
    ["an unknown strategy", { workload: "orders-0", strategy: "teleport" }, undefined, 400],
    ["an unknown workload", { workload: "payments-0" }, undefined, 404],
    ["an unknown node", { workload: "orders-0", targetNode: "node-z" }, undefined, 422],
    ["the node it already runs on", { workload: "orders-0", targetNode: "node-a" }, undefined, 422],
  ])("refuses %s with a message and emits nothing", async (_name, body, auth, status) => {
    const res = await post(body, auth ?? `Bearer ${token}`);
    expect(res.status).toBe(status);
    if (status !== 401) {
      const error = (await res.json()) as Json;
      expect(error.error).toEqual(expect.any(String));
      expect(error.error.length).toBeGreaterThan(5);
    }
    expect(emitted).toHaveLength(0);
  });

  it("refuses a second migration of a workload that is already migrating, as the log decided", async () => {
    expect((await post({ workload: "orders-0", targetNode: "node-b" })).status).toBe(202);
    const res = await post({ workload: "orders-0", targetNode: "node-c" });
    expect(res.status).toBe(409);
    const body = (await res.json()) as Json;
    expect(body).toMatchObject({
      code: "ALREADY_MIGRATING",
      migrationId: "m-2",
      runningMigrationId: "m-1",
    });
    expect(body.error).toContain("already migrating: m-1");
    expect(res.headers.get("location")).toBe("/migrations/m-2");
    // The request went to the log, which refused it there: a second gateway or a Kafka
    // producer is held to the same order.
    expect(emitted).toHaveLength(2);
    expect(projection.get("m-2")?.status).toBe("rejected");
  });

  it("refuses a request made while the workload runs nowhere mid-migration with the log's 409, not a 404", async () => {
    expect((await post({ workload: "orders-0", targetNode: "node-b" })).status).toBe(202);
    // Between an identity swap's drain and its next restore (or while its only copy is frozen
    // for a checkpoint) the runtime shows no running instance of the workload.
    await runtime.remove("orders-0");
    const res = await post({ workload: "orders-0" });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      code: "ALREADY_MIGRATING",
      migrationId: "m-2",
      runningMigrationId: "m-1",
    });
    // It is the log that refused it: the request was emitted, naming the migration's source.
    expect(emitted).toHaveLength(2);
    expect(emitted[1]?.data).toMatchObject({
      source: { instance: "orders-0", node: "node-a" },
      targetNode: "node-b",
    });
    expect(projection.get("m-2")?.status).toBe("rejected");
  });

  it("still answers 404 for a workload that runs nowhere when none of its migrations is under way", async () => {
    await runtime.remove("orders-0");
    const res = await post({ workload: "orders-0", targetNode: "node-b" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "UNKNOWN_WORKLOAD" });
    expect(emitted).toHaveLength(0);
  });

  it("answers 504 when no verdict comes in time, pointing at where it will be", async () => {
    admissionUp = false;
    const res = await post({ workload: "orders-0", targetNode: "node-b" });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ code: "VERDICT_TIMEOUT", migrationId: "m-1" });
    expect(res.headers.get("location")).toBe("/migrations/m-1");
    expect(projection.get("m-1")?.status).toBe("pending");
  });

  it("refuses shadow for a workload that cannot fence, naming sequential, and emits nothing", async () => {
    await runtime.run(spec({}), {
      workload: "plain-0",
      instance: "plain-0",
      node: "node-a",
      role: "primary",
      incarnation: 0,
    });
    const res = await post({ workload: "plain-0", targetNode: "node-b", strategy: "shadow" });
    expect(res.status).toBe(422);
    const body = (await res.json()) as Json;
    expect(body.code).toBe("CANNOT_FENCE");
    expect(body.error).toContain('"sequential"');
    expect(emitted).toHaveLength(0);
  });

  it("picks sequential for strategy auto when the workload cannot fence, shadow when it can", async () => {
    await runtime.run(spec({}), {
      workload: "plain-0",
      instance: "plain-0",
      node: "node-a",
      role: "primary",
      incarnation: 0,
    });
    const plain = await post({ workload: "plain-0", targetNode: "node-b", strategy: "auto" });
    expect(plain.status).toBe(202);
    expect(((await plain.json()) as Json).strategy).toBe("sequential");
    const fencing = await post({ workload: "orders-0", targetNode: "node-b", strategy: "auto" });
    expect(((await fencing.json()) as Json).strategy).toBe("shadow");
  });
});

describe("reads", () => {
  it("shows a migration as the projection of its events, and 404 for an unknown one", async () => {
    await post({ workload: "orders-0", targetNode: "node-b" });
    const auth = { authorization: `Bearer ${token}` };
    const one = await app.request("/migrations/m-1", { headers: auth });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({
      migrationId: "m-1",
      status: "running",
      phase: "checkpoint",
    });
    expect((await app.request("/migrations/m-9", { headers: auth })).status).toBe(404);
    const all = (await (await app.request("/migrations", { headers: auth })).json()) as Json;
    expect(all.migrations).toHaveLength(1);
  });

  it("adds the live lag only when asked (?lag=live), since reading it asks both instances", async () => {
    const data = sampleData("m-live");
    const steps = [
      MigrationRequested,
      MigrationAdmitted,
      CheckpointCreated,
      CheckpointImageReady,
      ShadowRestored,
    ];
    for (const e of steps) append(e.type, data[e.type]);
    let reads = 0;
    const live = createGateway({
      runtime,
      projection,
      verdicts: new Verdicts(projection),
      token,
      publish: async () => ({}),
      newMigrationId: () => "unused",
      now: () => new Date("2026-01-01T00:00:09Z"),
      lagNow: async () => {
        reads += 1;
        return 12;
      },
    });
    const auth = { authorization: `Bearer ${token}` };
    const plain = (await (
      await live.request("/migrations/m-live", { headers: auth })
    ).json()) as Json;
    expect(plain.phase).toBe("catch-up");
    expect(plain.liveLag).toBeUndefined();
    expect(reads).toBe(0);
    const asked = (await (
      await live.request("/migrations/m-live?lag=live", { headers: auth })
    ).json()) as Json;
    expect(asked.liveLag).toEqual({ records: 12, at: "2026-01-01T00:00:09.000Z" });
    expect(reads).toBe(1);
  });

  it("serves an OpenAPI document whose request schema rejects what the route rejects", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as Json;
    expect(doc.openapi).toBe("3.1.0");
    const schema = doc.components.schemas.MigrationRequest;
    expect(schema.required).toEqual(["workload"]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(doc.paths)).toEqual([
      "/migrations",
      "/migrations/{id}",
      "/migrations/{id}/events",
      "/migrations/{id}/timeline",
      "/migrations/{id}/timeline.svg",
    ]);
  });
});
