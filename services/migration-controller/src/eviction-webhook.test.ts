import type { V1Pod } from "@kubernetes/client-node";
import pino from "pino";
import { describe, expect, test } from "vitest";
import type { DrainMigration } from "./drain.ts";
import { evictionWebhookApp } from "./eviction-webhook.ts";

const orders: V1Pod = {
  metadata: {
    name: "orders-0",
    namespace: "workloads",
    labels: { "shadow.io/workload": "orders" },
  },
  spec: { nodeName: "kube-a", containers: [] },
  status: { phase: "Running" },
};

function webhook(createMigration: (m: DrainMigration) => Promise<"created" | "exists">) {
  return evictionWebhookApp({
    namespace: "workloads",
    readPod: async (name) => (name === "orders-0" ? orders : undefined),
    createMigration,
    logger: pino({ level: "silent" }),
  });
}

const review = (name: string) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: { uid: `uid-${name}`, name, namespace: "workloads", operation: "CREATE" },
});

async function post(app: ReturnType<typeof webhook>, body: unknown) {
  const res = await app.request("/evictions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      error?: string;
      response: { uid: string; allowed: boolean; status?: { code: number; message: string } };
    },
  };
}

describe("the eviction webhook", () => {
  test("refuses a shadow pod's eviction with 429 and creates its Migration; lets another pod go", async () => {
    const created: DrainMigration[] = [];
    const app = webhook(async (m) => {
      created.push(m);
      return "created";
    });
    const refused = await post(app, review("orders-0"));
    expect(refused.status).toBe(200);
    expect(refused.body.response).toMatchObject({
      uid: "uid-orders-0",
      allowed: false,
      status: { code: 429, message: "Eviction triggered evacuation" },
    });
    expect(created.map((m) => m.spec.pod)).toEqual(["orders-0"]);
    const allowed = await post(app, review("web-1"));
    expect(allowed.body.response).toEqual({ uid: "uid-web-1", allowed: true });
    expect(created).toHaveLength(1);
  });

  test("still refuses when the Migration cannot be made (the drain's next retry asks again)", async () => {
    const app = webhook(async () => {
      throw new Error("the API server is away");
    });
    expect((await post(app, review("orders-0"))).body.response.allowed).toBe(false);
  });

  test("refuses, asking nothing, when it cannot read the pod (it might be one shadow moves)", async () => {
    const created: DrainMigration[] = [];
    const app = evictionWebhookApp({
      namespace: "workloads",
      readPod: async () => {
        throw new Error("the API server is away");
      },
      createMigration: async (m) => {
        created.push(m);
        return "created";
      },
      logger: pino({ level: "silent" }),
    });
    const res = await post(app, review("orders-0"));
    expect(res.body.response).toMatchObject({ allowed: false, status: { code: 429 } });
    expect(res.body.response.status?.message).toMatch(/could not read the pod/);
    expect(created).toEqual([]);
  });

  test("answers 400 to a body that is not an eviction's AdmissionReview", async () => {
    const res = await post(
      webhook(async () => "created"),
      { kind: "Pod" },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/not a pods\/eviction AdmissionReview/);
  });
});
