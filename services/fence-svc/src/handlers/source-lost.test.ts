import { FenceCut, FenceRequested, ShadowCaughtUp, SourceLost } from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { describe, expect, it } from "vitest";
import { onShadowCaughtUp } from "./shadow-caught-up.ts";
import { onSourceLost } from "./source-lost.ts";

const handoff = {
  round: 2 as const,
  from: { instance: "orders-0-shadow", node: "node-b" },
  to: { instance: "orders-0", node: "node-b" },
};
const event = <T>(type: string, data: T) =>
  ({ id: `e-${type}`, type, time: "2026-01-01T00:00:07.000Z", data }) as never;

describe("fence-svc when the source died during its fence", () => {
  it("gives its committed progress as the cut, under the fence the source was asked for", async () => {
    const asked = await onShadowCaughtUp(
      event(ShadowCaughtUp.type, {
        ...sampleData("m-1")[ShadowCaughtUp.type],
        handoff,
      }),
    );
    const requested = FenceRequested.schema.parse(asked[0]?.data);
    const out = await onSourceLost(
      event(
        SourceLost.type,
        SourceLost.schema.parse({
          ...sampleData("m-1")[SourceLost.type],
          handoff,
          cut: [{ topic: "in", partition: 1, offset: 77 }],
        }),
      ),
    );
    expect(out.map((e) => e.type)).toEqual([FenceCut.type]);
    const cut = FenceCut.schema.parse(out[0]?.data);
    // The same fence id as the FenceRequested: a cut the source published first wins over it.
    expect(cut.fenceId).toBe(requested.fenceId);
    expect(cut.instance).toBe("orders-0-shadow");
    expect(cut.cut).toEqual([{ topic: "in", partition: 1, offset: 77 }]);
    expect(cut.handoff).toEqual(handoff);
    expect(cut.pausedAt).toBe("2026-01-01T00:00:07.000Z");
  });
});
