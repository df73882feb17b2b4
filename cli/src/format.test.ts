import type { MigrationView } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import { formatView } from "./format.ts";

const place = (instance: string, node: string) => ({ instance, node });

/** A migration that failed in its catch-up and rolled back, as the gateway's fold shows it. */
const rolledBack: MigrationView = {
  migrationId: "mig-1",
  workload: "orders-0",
  strategy: "shadow",
  identitySwap: false,
  source: place("orders-0", "node-a"),
  targetNode: "node-b",
  status: "rolled-back",
  round: 1,
  phase: "done",
  phases: [
    { round: 1, phase: "checkpoint", startedAt: "t0", endedAt: "t1", ms: 300 },
    { round: 1, phase: "catch-up", startedAt: "t1", endedAt: "t2", ms: 10_250, failed: true },
  ],
  requestedAt: "t0",
  updatedAt: "t2",
  handoff: { round: 1, from: place("orders-0", "node-a"), to: place("orders-0-s", "node-b") },
  work: [],
  failure: { step: "catch-up", code: "CATCH_UP_TIMEOUT", reason: "shadow still 45 behind" },
  rollback: { reason: "catch-up failed", compensated: [], serving: place("orders-0", "node-a") },
};

describe("a migration's status as the CLI prints it", () => {
  it("marks the phase a rolled-back migration failed in, with how long it ran, not as running", () => {
    const lines = formatView(rolledBack).split("\n");
    expect(lines).toContain("  ✓ round 1 checkpoint 300 ms");
    expect(lines).toContain("  ✗ round 1 catch-up   failed after 10.25 s");
    expect(lines.join("\n")).not.toContain("running");
  });
});

describe("downtime in the CLI's status", () => {
  const sequential: MigrationView = {
    ...rolledBack,
    strategy: "sequential",
    status: "running",
    phase: "restore",
    phases: [],
    failure: undefined,
    rollback: undefined,
  } as MigrationView;

  it("says a workload moved with its name not restored when the identity swap's round 2 failed", () => {
    const moved: MigrationView = {
      ...rolledBack,
      identitySwap: true,
      status: "completed",
      rollback: undefined,
      final: place("orders-0-shadow-1", "node-b"),
      swapFailure: "identity-swap failed: runc checkpoint exited 1",
    } as MigrationView;
    const lines = formatView(moved).split("\n");
    expect(lines).toContain("now serving       orders-0-shadow-1 on node-b");
    expect(lines).toContain(
      "moved, name not restored: the identity swap could not complete (identity-swap failed: runc checkpoint exited 1); finish it with: shadow migrate orders-0 --restore-name",
    );
    expect(lines.some((l) => l.startsWith("rolled back"))).toBe(false);
  });

  it("counts up while a sequential migration's source is stopped and no copy serves yet", () => {
    const view = { ...sequential, outage: { startedAt: "2026-01-02T03:04:06.000Z" } };
    const at = Date.parse("2026-01-02T03:04:07.500Z");
    expect(formatView(view, undefined, at)).toContain(
      "downtime so far   1.50 s (no copy serving since the checkpoint)",
    );
  });

  it("shows the whole outage once a copy serves again", () => {
    const outage = { startedAt: "t0", endedAt: "t1", ms: 1240 };
    expect(formatView({ ...sequential, outage })).toContain(
      "downtime          1.24 s (no copy served)",
    );
  });

  it("is 0 for ShadowPod, whose source serves throughout", () => {
    const running: MigrationView = { ...rolledBack, status: "running", phase: "catch-up" };
    expect(formatView(running)).toContain("downtime so far   0 ms (a copy serves throughout)");
    expect(formatView(rolledBack)).toContain("downtime          0 ms (a copy served throughout)");
  });
});

describe("lag in the CLI's status", () => {
  it("shows the live lag while the shadow catches up", () => {
    const view: MigrationView = {
      ...rolledBack,
      status: "running",
      phase: "catch-up",
      liveLag: { records: 240, at: "t" },
    };
    expect(formatView(view)).toContain("lag now           240 records behind the source");
  });

  it("puts the longest stall, its phase and cause, beside downtime", () => {
    const stall = {
      ms: 34_300,
      from: 0,
      to: 34_300,
      phase: "after +100 ms",
      cause: "no copy consuming: every copy fenced, idle or its input not ready",
    };
    const lines = formatView(rolledBack, undefined, 0, stall).split("\n");
    const downtime = lines.findIndex((l) => l.startsWith("downtime"));
    expect(lines[downtime]).toBe("downtime          0 ms (a copy served throughout)");
    expect(lines[downtime + 1]).toBe(
      "longest stall     34.30 s in after +100 ms (no copy consuming: every copy fenced, idle or its input not ready)",
    );
  });
});
