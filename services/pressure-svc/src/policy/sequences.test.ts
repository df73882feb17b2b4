import { describe, expect, it } from "vitest";
import type { WorkloadSignal } from "../signals/types.ts";
import { policyConfig } from "./config.ts";
import { MiB, node, workload } from "./fixtures.ts";
import { simulate } from "./simulate.ts";

const minute = 60_000;
const limit = 1_000 * MiB;

/** A memory figure that follows the workload: high on its node while `high(t)`, low otherwise. */
const following =
  (high: (t: number) => boolean) => (_node: string, t: number, on: WorkloadSignal[]) => ({
    usedBytes: on.length > 0 && high(t) ? 0.95 * limit : 0.5 * limit,
    limitBytes: limit,
  });

describe("the policy over crafted signal sequences", () => {
  it("flapping pressure starts at most one migration per cooldown", () => {
    // The workload's node is at 95% for 30 s of every 2 minutes, 50% the rest: long enough to
    // pass the 15 s hold, then clearing. Wherever the workload goes, the figure follows it.
    const flapping = following((t) => t % (2 * minute) < 30_000);
    const run = (cooldownMs: number) =>
      simulate({
        config: policyConfig({ cooldownMs }),
        nodes: [node("node-a"), node("node-b")],
        workloads: [workload("orders-0", "node-a")],
        durationMs: 30 * minute,
        stepMs: 5_000,
        migrationMs: 20_000,
        memoryOf: flapping,
      });
    const withCooldown = run(5 * minute);
    expect(withCooldown.moves.length).toBeGreaterThan(1);
    for (let i = 1; i < withCooldown.moves.length; i++) {
      const gap = (withCooldown.moves[i]?.at ?? 0) - (withCooldown.moves[i - 1]?.at ?? 0);
      // Cooldown from the end of the previous migration, which took 20 s.
      expect(gap).toBeGreaterThanOrEqual(5 * minute + 20_000);
    }
    expect(withCooldown.moves.length).toBeLessThanOrEqual(30 / 5);
    // Every condition that moved nothing says so: migrating, then cooling down.
    const why = withCooldown.decisions
      .filter((d) => d.code === "NO_CANDIDATE")
      .map((d) => d.passedOver[0]?.why);
    expect(why).toContainEqual(expect.stringMatching(/^migrating already \(mig-orders-0-\d+\)$/));
    expect(why).toContainEqual(expect.stringMatching(/^moved \d+ s ago, cooldown 300 s$/));
    // Without the cooldown the same signal moves it every time it comes back.
    expect(run(0).moves.length).toBeGreaterThan(withCooldown.moves.length + 5);
  });

  it("a figure flapping faster than the hold never raises a condition", () => {
    const result = simulate({
      config: policyConfig(),
      nodes: [node("node-a"), node("node-b")],
      workloads: [workload("orders-0", "node-a")],
      durationMs: 20 * minute,
      stepMs: 5_000,
      migrationMs: 20_000,
      // Above the high mark for 10 s, then below the low mark for 10 s, over and over.
      memoryOf: following((t) => t % 20_000 < 10_000),
    });
    expect(result.decisions).toEqual([]);
  });

  it("draining a node of 20 workloads: one at a time off it, one at a time onto each target, 10% of nodes in all", () => {
    const others = Array.from({ length: 11 }, (_, i) =>
      node(`node-${String.fromCharCode(98 + i)}`),
    );
    const twenty = Array.from({ length: 20 }, (_, i) =>
      workload(`w-${i}`, "node-a", { usedBytes: (i + 1) * MiB }),
    );
    const result = simulate({
      config: policyConfig(),
      nodes: [node("node-a", { draining: true, cordoned: true }), ...others],
      workloads: twenty,
      durationMs: 30 * minute,
      stepMs: 5_000,
      migrationMs: 30_000,
    });
    expect(result.peak).toEqual({ perSource: 1, perTarget: 1, total: 1 });
    expect(result.moves).toHaveLength(20);
    expect(result.workloads.filter((w) => w.node === "node-a")).toEqual([]);
    // Largest relief first.
    expect(result.moves[0]?.workload).toBe("w-19");
    expect(result.decisions.filter((d) => d.code === "SOURCE_BUDGET").length).toBeGreaterThan(0);
  });

  it("with two nodes draining, the total budget (10% of 12 nodes: 2) holds across them", () => {
    const others = Array.from({ length: 10 }, (_, i) =>
      node(`node-${String.fromCharCode(99 + i)}`),
    );
    const drained = (name: string) => node(name, { draining: true, cordoned: true });
    const forty = ["node-a", "node-b"].flatMap((n) =>
      Array.from({ length: 20 }, (_, i) => workload(`${n.slice(-1)}-${i}`, n)),
    );
    const strict = simulate({
      config: policyConfig({ limits: { perSource: 10, perTarget: 1, total: "10%" } }),
      nodes: [drained("node-a"), drained("node-b"), ...others],
      workloads: forty,
      durationMs: 40 * minute,
      stepMs: 5_000,
      migrationMs: 30_000,
    });
    expect(strict.peak.total).toBe(2);
    expect(strict.peak.perTarget).toBe(1);
    expect(strict.moves).toHaveLength(40);
    expect(strict.decisions.some((d) => d.code === "TOTAL_BUDGET")).toBe(true);
    // The per-source default lets each drained node have one under way: 2 in all as well.
    const perSource = simulate({
      config: policyConfig({ limits: { total: 5 } }),
      nodes: [drained("node-a"), drained("node-b"), ...others],
      workloads: forty,
      durationMs: 40 * minute,
      stepMs: 5_000,
      migrationMs: 30_000,
    });
    expect(perSource.peak).toEqual({ perSource: 1, perTarget: 1, total: 2 });
  });

  it("a full cluster moves nothing, however long the pressure lasts, and says why each time", () => {
    const result = simulate({
      config: policyConfig(),
      nodes: [node("node-a"), node("node-b", { capacity: { instances: 0, memoryBytes: 0 } })],
      workloads: [workload("orders-0", "node-a")],
      durationMs: 10 * minute,
      stepMs: 5_000,
      migrationMs: 20_000,
      memoryOf: (n) => ({ usedBytes: (n === "node-a" ? 0.95 : 0.1) * limit, limitBytes: limit }),
    });
    expect(result.moves).toEqual([]);
    expect(result.decisions.length).toBeGreaterThan(50);
    expect(new Set(result.decisions.map((d) => d.code))).toEqual(new Set(["NO_TARGET"]));
    expect(result.decisions[0]?.passedOver[0]?.why).toBe(
      "no target: node-b has 0 free slot(s), 2 needed",
    );
  });
});
