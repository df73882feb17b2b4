import { CheckpointCreated, type IncomingEvent, MigrationAdmitted } from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { CheckpointError } from "@shadow/runtime";
import { FakeRuntime } from "@shadow/runtime/fake";
import { describe, expect, it } from "vitest";
import { onMigrationAdmitted } from "./migration-admitted.ts";

const time = "2026-01-02T03:04:10.000Z";

function admitted(
  patch: Record<string, unknown> = {},
): IncomingEvent<typeof MigrationAdmitted.type> {
  return {
    specversion: "1.0",
    id: "e-1",
    source: "/shadow/admission-svc",
    type: MigrationAdmitted.type,
    subject: "m-1",
    time,
    datacontenttype: "application/json",
    data: { ...sampleData("m-1")[MigrationAdmitted.type], ...patch },
  };
}

/** The instance a migration starts from, on the fake runtime; the step's clock is the test's. */
async function withInstance(instance: string, node: string) {
  const runtime = new FakeRuntime();
  await runtime.run(
    { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
    { workload: "orders", instance, node, role: "primary", incarnation: 1 },
  );
  let now = Date.parse(time);
  const step = {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    stepDeadlineMs: 60_000,
  };
  return { runtime, deps: { runtime, step } };
}

/** A name restore of orders, which serves on node-b as m-0's shadow. */
const nameRestore = {
  source: { instance: "orders-shadow-m0", node: "node-b" },
  targetNode: "node-b",
  nameRestore: true,
};

describe("checkpoint-svc: the first dump of an admitted migration", () => {
  it("starts round 1: the source, left running, to a shadow of its own name on the target", async () => {
    const { runtime, deps } = await withInstance("orders-0", "node-a");
    const [created] = await onMigrationAdmitted(admitted(), deps);
    const d = CheckpointCreated.schema.parse(created?.data);
    expect(d.handoff).toEqual({
      round: 1,
      from: { instance: "orders-0", node: "node-a" },
      to: { instance: "orders-shadow-m1", node: "node-b" },
    });
    expect(d.leftRunning).toBe(true);
    expect(runtime.instances.get("orders-0")?.state).toBe("running");
  });

  it("starts a name restore at round 2: the instance serving as a shadow, to the workload's own name beside it", async () => {
    const { deps } = await withInstance("orders-shadow-m0", "node-b");
    const [created] = await onMigrationAdmitted(admitted(nameRestore), deps);
    const d = CheckpointCreated.schema.parse(created?.data);
    expect(d.handoff).toEqual({
      round: 2,
      from: { instance: "orders-shadow-m0", node: "node-b" },
      to: { instance: "orders", node: "node-b" },
    });
    expect(d.nameRestore).toBe(true);
  });

  it("fails a name restore's dump as the identity swap's step, the one round 2 has", async () => {
    const { deps } = await withInstance("orders-shadow-m0", "node-b");
    const failing = {
      checkpoint: async () => {
        throw new CheckpointError("orders-shadow-m0", "criu dump: no space left");
      },
    };
    const out = await onMigrationAdmitted(admitted(nameRestore), { ...deps, runtime: failing });
    expect(out[0]?.data).toMatchObject({
      step: "identity-swap",
      nameRestore: true,
      handoff: { round: 2 },
    });
  });
});
