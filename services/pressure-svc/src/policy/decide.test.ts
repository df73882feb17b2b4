import { describe, expect, it } from "vitest";
import { policyConfig } from "./config.ts";
import { decide } from "./decide.ts";
import { condition, input, MiB, node, snapshot, workload } from "./fixtures.ts";

const at = new Date("2026-03-02T10:00:00Z");

describe("decide: which workload leaves, and where to", () => {
  it("moves the workload that gives back the most memory, to the node with the most room, and says why", () => {
    const snap = snapshot(
      at,
      [
        node("node-a", { memory: { usedBytes: 900 * MiB, limitBytes: 1_000 * MiB } }),
        node("node-b"),
        node("node-c", { capacity: { instances: 40, memoryBytes: 32_768 * MiB } }),
      ],
      [
        workload("small-0", "node-a", { usedBytes: 50 * MiB }),
        workload("large-0", "node-a", { usedBytes: 400 * MiB }),
      ],
    );
    const [d, ...more] = decide(
      input({
        condition: condition("node-a", "memory", { value: 0.9, threshold: 0.85 }),
        snapshot: snap,
      }),
    );
    expect(more).toEqual([]);
    expect(d?.code).toBe("MIGRATE");
    expect(d?.migration).toMatchObject({
      workload: "large-0",
      targetNode: "node-c",
      reliefBytes: 400 * MiB,
    });
    expect(d?.migration?.request).toMatchObject({
      workload: "large-0",
      source: { instance: "large-0", node: "node-a" },
      targetNode: "node-c",
      requestedBy: "pressure",
      strategy: "shadow",
      identitySwap: true,
    });
    expect(d?.reason).toMatch(
      /node-a uses 90% of its memory \(high mark 85%\).*large-0 gives back 400 MiB/,
    );
  });

  it("a full cluster starts nothing and says why, naming each node's shortfall", () => {
    const snap = snapshot(
      at,
      [
        node("node-a", { draining: true, cordoned: true }),
        node("node-b", { capacity: { instances: 1, memoryBytes: 16_384 * MiB } }),
        node("node-c", { capacity: { instances: 40, memoryBytes: 300 * MiB } }),
        node("node-d", { memory: { usedBytes: 15_000 * MiB, limitBytes: 16_384 * MiB } }),
      ],
      [workload("orders-0", "node-a"), workload("other-0", "node-b")],
    );
    const decisions = decide(input({ condition: condition("node-a", "drain"), snapshot: snap }));
    expect(decisions).toHaveLength(1);
    const [d] = decisions;
    expect(d?.code).toBe("NO_TARGET");
    expect(d?.migration).toBeUndefined();
    expect(d?.reason).toBe(
      "node-a is draining: no node can take any of the 1 workload(s) that may move",
    );
    const why = d?.passedOver[0]?.why ?? "";
    expect(why).toContain("node-b has 0 free slot(s), 2 needed");
    expect(why).toContain("node-c has 300 MiB unreserved, 512 MiB needed");
    expect(why).toContain("node-d would use 92% of its memory with it (low mark 75%)");
  });

  it("never picks a target that is under pressure, cordoned or draining itself", () => {
    const snap = snapshot(
      at,
      [
        node("node-a"),
        node("node-b"),
        node("node-c", { cordoned: true }),
        node("node-d", { draining: true, cordoned: true }),
      ],
      [workload("orders-0", "node-a")],
    );
    const a = condition("node-a", "psi", { value: 30, threshold: 20 });
    const b = condition("node-b", "memory", { value: 0.9, threshold: 0.85 });
    const [d] = decide(input({ condition: a, conditions: [a, b], snapshot: snap }));
    expect(d?.code).toBe("NO_TARGET");
    expect(d?.passedOver[0]?.why).toMatch(
      /node-b is under memory pressure itself; node-c is cordoned; node-d is draining/,
    );
  });

  it("respects the opt-outs: shadow.io/migrate never (label or annotation) and karpenter.sh/do-not-disrupt", () => {
    const snap = snapshot(
      at,
      [node("node-a", { draining: true, cordoned: true }), node("node-b")],
      [
        workload("keep-0", "node-a", {
          labels: { "shadow.io/migrate": "never" },
          usedBytes: 900 * MiB,
        }),
        workload("karp-0", "node-a", { labels: { "karpenter.sh/do-not-disrupt": "true" } }),
        workload("free-0", "node-a", { usedBytes: 10 * MiB }),
      ],
    );
    const [d] = decide(input({ condition: condition("node-a", "drain"), snapshot: snap }));
    expect(d?.migration?.workload).toBe("free-0");
    expect(d?.passedOver).toEqual([
      { workload: "keep-0", why: "opted out (shadow.io/migrate: never)" },
      { workload: "karp-0", why: "opted out (karpenter.sh/do-not-disrupt: true)" },
    ]);
    const onlyOptedOut = snapshot(
      at,
      snap.nodes,
      snap.workloads.filter((w) => w.workload !== "free-0"),
    );
    const [none] = decide(
      input({ condition: condition("node-a", "drain"), snapshot: onlyOptedOut }),
    );
    expect(none?.code).toBe("NO_CANDIDATE");
    expect(none?.reason).toBe(
      "node-a is draining: none of the 2 workload(s) on node-a may move now",
    );
  });

  it("leaves a workload alone while it migrates, and for the cooldown after its migration ended", () => {
    const snap = snapshot(
      at,
      [node("node-a", { cordoned: true }), node("node-b")],
      [workload("moving-0", "node-a"), workload("moved-0", "node-a")],
    );
    const migrations = [
      {
        migrationId: "m-1",
        workload: "moving-0",
        sourceNode: "node-a",
        targetNode: "node-b",
        active: true,
        requestedAt: at.getTime() - 5_000,
      },
      {
        migrationId: "m-0",
        workload: "moved-0",
        sourceNode: "node-b",
        targetNode: "node-a",
        active: false,
        requestedAt: at.getTime() - 200_000,
        endedAt: at.getTime() - 120_000,
      },
    ];
    const config = policyConfig({ limits: { perSource: 5, perTarget: 5, total: 5 } });
    const [d] = decide(
      input({ condition: condition("node-a", "cordon"), snapshot: snap, migrations, config }),
    );
    expect(d?.code).toBe("NO_CANDIDATE");
    expect(d?.passedOver).toEqual([
      { workload: "moving-0", why: "migrating already (m-1)" },
      { workload: "moved-0", why: "moved 120 s ago, cooldown 300 s" },
    ]);
    const later = new Date(at.getTime() + 181_000);
    const [after] = decide(
      input({
        condition: condition("node-a", "cordon"),
        snapshot: { ...snap, at: later },
        now: later,
        migrations,
        config,
      }),
    );
    expect(after?.migration?.workload).toBe("moved-0");
  });

  it("under memory pressure moves only what brings the node to its low mark, counting what leaves already", () => {
    const snap = snapshot(
      at,
      [
        node("node-a", { memory: { usedBytes: 880 * MiB, limitBytes: 1_000 * MiB } }),
        node("node-b"),
        node("node-c"),
      ],
      ["w1", "w2", "w3", "w4"].map((w) => workload(w, "node-a", { usedBytes: 100 * MiB })),
    );
    const config = policyConfig({ limits: { perSource: 4, perTarget: 4, total: 4 } });
    const c = condition("node-a", "memory", { value: 0.88, threshold: 0.85 });
    // 880 MiB used, low mark 750 MiB: two of 100 MiB are enough.
    expect(
      decide(input({ condition: c, snapshot: snap, config })).map((d) => d.migration?.workload),
    ).toEqual(["w1", "w2"]);
    const leaving = [
      {
        migrationId: "m-9",
        workload: "w1",
        sourceNode: "node-a",
        targetNode: "node-b",
        active: true,
        requestedAt: 0,
      },
    ];
    const next = decide(input({ condition: c, snapshot: snap, config, migrations: leaving }));
    expect(next.map((d) => d.migration?.workload)).toEqual(["w2"]);
    const two = [
      ...leaving,
      { ...leaving[0], migrationId: "m-10", workload: "w2" },
    ] as typeof leaving;
    const [enough] = decide(input({ condition: c, snapshot: snap, config, migrations: two }));
    expect(enough?.code).toBe("RELIEF_UNDER_WAY");
  });

  it("starts nothing on a disabled node or in an open blackout window, and says so", () => {
    const snap = snapshot(
      at,
      [node("node-a", { cordoned: true }), node("node-b")],
      [workload("w-0", "node-a")],
    );
    const disabled = policyConfig({ disabledNodes: ["node-a"] });
    expect(
      decide(
        input({ condition: condition("node-a", "cordon"), snapshot: snap, config: disabled }),
      )[0],
    ).toMatchObject({
      code: "NODE_DISABLED",
      reason: "node-a is cordoned: automatic migrations are disabled on node-a",
    });
    // 10:00 on a Monday: within "0 9 * * mon-fri" for 8h.
    const blackout = policyConfig({ blackouts: [{ schedule: "0 9 * * mon-fri", duration: "8h" }] });
    expect(
      decide(
        input({ condition: condition("node-a", "cordon"), snapshot: snap, config: blackout }),
      )[0],
    ).toMatchObject({
      code: "BLACKOUT",
      reason:
        'node-a is cordoned: blackout window "0 9 * * mon-fri" for 8h is open until 2026-03-02T17:00:00.000Z',
    });
    const memoryOnly = policyConfig({
      blackouts: [{ schedule: "0 9 * * mon-fri", duration: "8h", kinds: ["memory"] }],
    });
    expect(
      decide(
        input({ condition: condition("node-a", "cordon"), snapshot: snap, config: memoryOnly }),
      )[0]?.code,
    ).toBe("MIGRATE");
    const evening = new Date("2026-03-02T18:30:00Z");
    expect(
      decide(
        input({
          condition: condition("node-a", "cordon"),
          snapshot: { ...snap, at: evening },
          now: evening,
          config: blackout,
        }),
      )[0]?.code,
    ).toBe("MIGRATE");
  });
});

describe("decide: what the budgets count", () => {
  it("counts the migrations on its own nodes only: not another pool's, nor one left on a node that is gone", () => {
    const snap = snapshot(
      at,
      [node("node-a", { draining: true, cordoned: true }), node("node-b"), node("node-x")],
      [workload("orders-0", "node-a")],
    );
    const elsewhere = (id: string, from: string, to: string) => ({
      migrationId: id,
      workload: `w-${id}`,
      sourceNode: from,
      targetNode: to,
      active: true,
      requestedAt: 0,
    });
    const migrations = [elsewhere("1", "node-x", "node-y"), elsewhere("2", "gone-1", "gone-2")];
    const mine = policyConfig({ nodes: ["node-a", "node-b"], limits: { total: 1 } });
    const [d] = decide(
      input({ condition: condition("node-a", "drain"), snapshot: snap, migrations, config: mine }),
    );
    expect(d?.code).toBe("MIGRATE");
    // Looking after every node, node-x's migration is one of its own: the budget is full.
    const all = policyConfig({ limits: { total: 1 } });
    const [full] = decide(
      input({ condition: condition("node-a", "drain"), snapshot: snap, migrations, config: all }),
    );
    expect(full).toMatchObject({
      code: "TOTAL_BUDGET",
      reason: "node-a is draining: 1 migration(s) under way in all, at most 1 at once",
    });
  });
});
