import type { MigrationView } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import { failoversOf, handoversOf, longestStallOf } from "./stall.ts";

const t0 = Date.parse("2026-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(t0 + ms).toISOString();

const migration = {
  phases: [
    { round: 1, phase: "checkpoint", startedAt: at(0), endedAt: at(1_000), ms: 1_000 },
    { round: 1, phase: "catch-up", startedAt: at(1_000), endedAt: at(3_000), ms: 2_000 },
    { round: 1, phase: "fence", startedAt: at(3_000), endedAt: at(3_200), ms: 200 },
    { round: 1, phase: "drain", startedAt: at(3_200), endedAt: at(3_500), ms: 300 },
  ],
  work: [{ round: 1, handoverMs: 80 }],
} as unknown as MigrationView;

const gap = (from: number, ms: number) => ({ ms, from: t0 + from, to: t0 + from + ms });
const evidence = { migration, freezes: [], idle: [] };

describe("the longest stall beside downtime", () => {
  it("finds the handover inside the fence", () => {
    expect(handoversOf(migration)).toEqual([{ from: t0 + 3_120, to: t0 + 3_200 }]);
    const stall = longestStallOf(gap(3_115, 85), evidence);
    expect(stall.phase).toBe("1 fence +115 ms");
    expect(stall.cause).toMatch(/^the handover/);
  });

  it("names the handover when the fenced copy is the source handing over", () => {
    const stall = longestStallOf(gap(3_115, 85), {
      ...evidence,
      idle: [{ copy: "orders-0@node-a", from: t0 + 3_110, to: t0 + 3_400 }],
    });
    expect(stall.cause).toMatch(/^the handover/);
  });

  it("blames a copy that said it was fenced, not the handover", () => {
    const stall = longestStallOf(gap(4_000, 34_000), {
      ...evidence,
      idle: [{ copy: "orders-0@node-b", from: t0 + 3_990, to: t0 + 38_000 }],
    });
    expect(stall).toMatchObject({ ms: 34_000, phase: "after +500 ms" });
    expect(stall.cause).toBe("fenced or idle, consuming nothing: orders-0@node-b");
  });

  it("says the copies were up when nothing else covers the stall (a broker away)", () => {
    const stall = longestStallOf(gap(1_500, 8_000), {
      ...evidence,
      outage: { from: t0 + 1_500, to: t0 + 1_600 },
    });
    expect(stall.phase).toBe("1 catch-up +500 ms");
    expect(stall.cause).toMatch(/^a copy was up and consuming but processed nothing/);
  });

  it("names a failover when the source was found gone in the fence", () => {
    const failedOver = {
      ...migration,
      phases: migration.phases.map((p) =>
        p.phase === "fence" ? { ...p, endedAt: at(4_500), ms: 1_500 } : p,
      ),
      work: [{ round: 1, handoverMs: 30, sourceLostAt: at(4_200) }],
    } as unknown as MigrationView;
    // From the fence's start (the source died in there) until the shadow passed the cut.
    expect(failoversOf(failedOver)).toEqual([{ from: t0 + 3_000, to: t0 + 4_500 }]);
    const stall = longestStallOf(gap(3_050, 1_400), { ...evidence, migration: failedOver });
    expect(stall.cause).toMatch(/^the source died: its shadow took over/);
    // Without the failover on record the same stall has no cause of its own.
    expect(longestStallOf(gap(3_050, 1_400), evidence).cause).toMatch(/^a copy was up/);
  });

  it("names no cause for no stall", () => {
    expect(longestStallOf(gap(0, 0), evidence)).toEqual({ ms: 0, from: t0, to: t0, cause: "none" });
  });
});
