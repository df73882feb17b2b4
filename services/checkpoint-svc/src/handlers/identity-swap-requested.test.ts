import {
  CheckpointCreated,
  IdentitySwapRequested,
  type IncomingEvent,
  MigrationFailed,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { CheckpointError } from "@shadow/runtime";
import { FakeRuntime } from "@shadow/runtime/fake";
import { describe, expect, it } from "vitest";
import { onIdentitySwapRequested } from "./identity-swap-requested.ts";

const time = "2026-01-02T03:04:10.000Z";

function swapRequested(): IncomingEvent<typeof IdentitySwapRequested.type> {
  return {
    specversion: "1.0",
    id: "e-2",
    source: "/shadow/drain-svc",
    type: IdentitySwapRequested.type,
    subject: "m-1",
    time,
    datacontenttype: "application/json",
    data: sampleData("m-1")[IdentitySwapRequested.type],
  };
}

async function withShadow() {
  const runtime = new FakeRuntime();
  const d = sampleData("m-1")[IdentitySwapRequested.type];
  await runtime.run(
    { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
    {
      workload: d.workload,
      instance: d.handoff.from.instance,
      node: d.handoff.from.node,
      role: "primary",
      incarnation: 1,
    },
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

describe("identity swap, round 2: dump the shadow that now serves", () => {
  it("retries a checkpoint that fails once, and the swap goes on", async () => {
    const { runtime, deps } = await withShadow();
    runtime.failNext("checkpoint", new CheckpointError("orders-0-shadow", "criu dump: busy"));
    const out = await onIdentitySwapRequested(swapRequested(), deps);
    expect(out.map((e) => e.type)).toEqual([CheckpointCreated.type]);
  });

  it("fails round 2 when the checkpoint keeps failing past the step's deadline", async () => {
    const { deps } = await withShadow();
    let attempts = 0;
    const failing = {
      checkpoint: async () => {
        attempts += 1;
        throw new CheckpointError("orders-0-shadow", "criu dump: busy");
      },
    };
    const out = await onIdentitySwapRequested(swapRequested(), { ...deps, runtime: failing });
    expect(attempts).toBeGreaterThan(3);
    expect(out.map((e) => e.type)).toEqual([MigrationFailed.type]);
    expect(out[0]?.data).toMatchObject({ step: "identity-swap", code: "CHECKPOINT_FAILED" });
  });
});
