import type { MigrationView } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import { freezesOf } from "./freezes.ts";

const view = (strategy: MigrationView["strategy"], work: MigrationView["work"]) =>
  ({ strategy, work }) as MigrationView;

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
