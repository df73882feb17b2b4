import type { MigrationView } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import { useScenarioEnvironment } from "./scenario-env.ts";

const env = useScenarioEnvironment();

async function count(): Promise<number> {
  const res = await fetch(`${env().gatewayUrl}/migrations`, {
    headers: { authorization: `Bearer ${env().token}` },
  });
  return ((await res.json()) as { migrations: MigrationView[] }).migrations.length;
}

describe("the gateway as a real server (hono on node)", () => {
  it.each([
    ["a missing token", "", '{"workload":"nobody-0"}', 401],
    ["a body that is not JSON", `Bearer ${"TOKEN"}`, "{nope", 400],
    ["an unknown field", `Bearer ${"TOKEN"}`, '{"workload":"nobody-0","colour":"red"}', 400],
    [
      "an unknown workload",
      `Bearer ${"TOKEN"}`,
      '{"workload":"nobody-0","targetNode":"node-b"}',
      404,
    ],
  ])(
    "answers %s with a 4xx and a message, and emits nothing",
    async (_what, auth, body, status) => {
      const before = await count();
      const res = await fetch(`${env().gatewayUrl}/migrations`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(auth ? { authorization: auth.replace("TOKEN", env().token) } : {}),
        },
        body,
      });
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(text.length).toBeGreaterThan(5);
      // The projection is fed from the log: a second look after a moment sees anything emitted.
      await new Promise((r) => setTimeout(r, 500));
      expect(await count()).toBe(before);
    },
  );

  it("serves its OpenAPI document without a token", async () => {
    const res = await fetch(`${env().gatewayUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });
});
