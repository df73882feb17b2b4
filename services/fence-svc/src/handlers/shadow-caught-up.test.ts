import { FenceCut, FenceRequested, ShadowCaughtUp } from "@shadow/events";
import { describe, expect, it } from "vitest";
import { onShadowCaughtUp } from "./shadow-caught-up.ts";

const caughtUp = (sourceLost?: boolean) =>
  ({
    id: "e",
    type: ShadowCaughtUp.type,
    time: "2026-01-01T00:00:05.000Z",
    data: ShadowCaughtUp.schema.parse({
      migrationId: "m-1",
      workload: "orders-0",
      strategy: "shadow",
      identitySwap: false,
      requestedAt: "2026-01-01T00:00:00.000Z",
      handoff: {
        round: 1,
        from: { instance: "orders-0", node: "node-a" },
        to: { instance: "orders-0-shadow", node: "node-b" },
      },
      lagBehindSource: 3,
      sourceOffsets: [{ topic: "in", partition: 0, offset: 50 }],
      shadowOffsets: [{ topic: "in", partition: 0, offset: 47 }],
      replayMs: 10,
      ...(sourceLost ? { sourceLost } : {}),
    }),
  }) as never;

describe("fence-svc on a caught-up shadow", () => {
  it("asks a live source for its cut", async () => {
    const out = await onShadowCaughtUp(caughtUp());
    expect(out.map((e) => e.type)).toEqual([FenceRequested.type]);
  });

  it("gives a lost source's cut on its behalf: its last committed progress", async () => {
    const out = await onShadowCaughtUp(caughtUp(true));
    expect(out.map((e) => e.type)).toEqual([FenceCut.type]);
    const cut = FenceCut.schema.parse(out[0]?.data);
    expect(cut.instance).toBe("orders-0");
    expect(cut.cut).toEqual([{ topic: "in", partition: 0, offset: 50 }]);
    expect(cut.pausedAt).toBe("2026-01-01T00:00:05.000Z");
  });
});
