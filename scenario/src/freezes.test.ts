import type { MigrationView } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import { freezesOf, shadowsConsumingOf } from "./freezes.ts";

const view = (
  strategy: MigrationView["strategy"],
  work: MigrationView["work"],
  phases: MigrationView["phases"] = [],
) => ({ strategy, work, phases }) as MigrationView;

describe("checkpoint freezes", () => {
  it("gives each ShadowPod round's freeze as a window on the epoch clock", () => {
    const freezes = freezesOf(
      view("shadow", [
        { round: 1, frozenAt: "2026-01-01T00:00:01.000Z", pauseMs: 120, dumpMs: 300 },
        { round: 2, frozenAt: "2026-01-01T00:00:09.500Z", pauseMs: 80.5 },
        { round: 2, buildMs: 400 },
      ]),
    );
    const t = (iso: string) => Date.parse(iso);
    expect(freezes).toEqual([
      { from: t("2026-01-01T00:00:01.000Z"), to: t("2026-01-01T00:00:01.120Z") },
      { from: t("2026-01-01T00:00:09.500Z"), to: t("2026-01-01T00:00:09.500Z") + 80.5 },
    ]);
  });

  it("gives none for sequential, whose source its dump stops: that is downtime, not a pause", () => {
    expect(
      freezesOf(
        view("sequential", [{ round: 1, frozenAt: "2026-01-01T00:00:01.000Z", pauseMs: 900 }]),
      ),
    ).toEqual([]);
  });
});

describe("shadows consuming", () => {
  it("names each round's caught-up shadow as instance@node, from its caught-up time", () => {
    const consuming = shadowsConsumingOf(
      view("shadow", [
        {
          round: 1,
          shadow: { instance: "orders-0-shadow-1a2b", node: "node-b" },
          caughtUpAt: "2026-01-01T00:00:03.000Z",
        },
        { round: 2, shadow: { instance: "orders-0", node: "node-b" } },
      ]),
    );
    // Round 2 never reported caught up (a rollback, say): no span is assumed for it.
    expect(consuming).toEqual([
      { copy: "orders-0-shadow-1a2b@node-b", since: Date.parse("2026-01-01T00:00:03.000Z") },
    ]);
  });

  it("starts a shadow's span when the catch-up watch first saw it process a record, when it did", () => {
    const consuming = shadowsConsumingOf(
      view(
        "shadow",
        [
          {
            round: 1,
            shadow: { instance: "orders-0-shadow-1a2b", node: "node-b" },
            caughtUpAt: "2026-01-01T00:00:03.000Z",
            firstRecordMs: 400,
          },
        ],
        [{ round: 1, phase: "catch-up", startedAt: "2026-01-01T00:00:01.000Z" }],
      ),
    );
    expect(consuming).toEqual([
      { copy: "orders-0-shadow-1a2b@node-b", since: Date.parse("2026-01-01T00:00:01.400Z") },
    ]);
  });
});
