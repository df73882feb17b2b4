import { fileURLToPath } from "node:url";
import type { MigrationView } from "@shadow/migration";
import type { InstanceInfo } from "@shadow/runtime";
import { waitFor } from "@shadow/scenario";
import { afterAll, describe, expect, it } from "vitest";
import { directRequest, produceDirectly } from "./kafka-requests.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();
const entry = fileURLToPath(new URL("./fixtures/plain-workload.mjs", import.meta.url));
const workload = workloadName("plain");
const migrations: string[] = [];

interface PlainState {
  token: string;
  counter: number;
}

async function stateOf(instance: InstanceInfo): Promise<PlainState> {
  const res = await fetch(`http://${instance.endpoint}/state`, {
    signal: AbortSignal.timeout(2_000),
  });
  return (await res.json()) as PlainState;
}

async function instances(): Promise<InstanceInfo[]> {
  return (await env().runtime.list()).filter((i) => i.workload === workload);
}

async function post(body: unknown): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`${env().gatewayUrl}/migrations`, {
    method: "POST",
    headers: { authorization: `Bearer ${env().token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

async function view(id: string): Promise<MigrationView | undefined> {
  const res = await fetch(`${env().gatewayUrl}/migrations/${id}`, {
    headers: { authorization: `Bearer ${env().token}` },
  });
  return res.ok ? ((await res.json()) as MigrationView) : undefined;
}

afterAll(async () => {
  for (const i of await instances()) await env().runtime.remove(i.instance);
  for (const id of migrations)
    await env()
      .runtime.release(id)
      .catch(() => undefined);
});

describe("a workload that cannot take part in a shadow handoff (a plain process, no SDK)", () => {
  it("is refused a shadow migration, by the gateway and on the log, with nothing restored; sequential moves it with its state", {
    timeout: 180_000,
  }, async () => {
    // Run by the local runtime like any workload, but declaring nothing (no fence label).
    const source = await env().runtime.run(
      { entry, memoryBytes: 128 * 2 ** 20, httpPort: 8080, env: { SHADOW_HTTP_PORT: "8080" } },
      { workload, instance: workload, node: "node-a", role: "primary", incarnation: 0 },
    );
    const before = await waitFor("the plain process to answer", 30_000, () => stateOf(source));

    // Over HTTP: refused at once, in words that name the way that works.
    const refused = await post({ workload, targetNode: "node-b", strategy: "shadow" });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe("CANNOT_FENCE");
    expect(refused.body.error).toContain('"sequential"');

    // Straight onto Kafka: admission refuses it on the log, with the same reason.
    const direct = `kafka-plain-${Date.now().toString(36)}`;
    migrations.push(direct);
    await produceDirectly(env().brokers, [
      directRequest({
        migrationId: direct,
        workload,
        strategy: "shadow",
        source: { instance: workload, node: "node-a" },
        targetNode: "node-b",
      }),
    ]);
    const verdict = await waitFor("the log's verdict on the Kafka request", 30_000, async () => {
      const v = await view(direct);
      return v && v.status !== "pending" ? v : undefined;
    });
    expect(verdict.status).toBe("rejected");
    expect(verdict.rejection?.code).toBe("CANNOT_FENCE");
    expect(verdict.rejection?.reason).toContain('"sequential"');

    // Nothing was restored: the source alone runs, and stays alone.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await instances()).map((i) => `${i.instance}@${i.node} ${i.state}`)).toEqual([
      `${workload}@node-a running`,
    ]);

    // Sequential: stopped at its checkpoint, restored on node-b with the state it had.
    const accepted = await post({ workload, targetNode: "node-b", strategy: "sequential" });
    expect(accepted.status).toBe(202);
    const id = accepted.body.migrationId as string;
    migrations.push(id);
    const done = await waitFor(`migration ${id} to end`, 120_000, async () => {
      const v = await view(id);
      return v && (v.status === "completed" || v.status === "rolled-back") ? v : undefined;
    });
    expect(done.status).toBe("completed");
    const after = await instances();
    expect(after.map((i) => `${i.node} ${i.state}`)).toEqual(["node-b running"]);
    const moved = await waitFor("the copy to answer", 30_000, () =>
      stateOf(after[0] as InstanceInfo),
    );
    // The same process state (its token), counting on from where it was dumped.
    expect(moved.token).toBe(before.token);
    expect(moved.counter).toBeGreaterThanOrEqual(before.counter);
  });
});
