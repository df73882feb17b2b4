import { describe, expect, it } from "vitest";
import { samples, t0, view } from "./fixture.test-data.ts";
import { timelineOf } from "./from-view.ts";
import { renderTimelineSvg } from "./render-svg.ts";

/** The attributes of every element of a kind, as the renderer wrote them. */
function marks(svg: string, kind: string): Record<string, string>[] {
  const found = [...svg.matchAll(new RegExp(`<[a-z]+ [^>]*data-kind="${kind}"[^>]*>`, "g"))];
  return found.map(([tag]) =>
    Object.fromEntries(
      [...tag.matchAll(/([a-z0-9-]+)="([^"]*)"/g)].map(([, k, v]) => [k as string, v as string]),
    ),
  );
}

describe("a migration's timeline", () => {
  it("puts the log's phases, freeze, fence and handover on the axis from the request", () => {
    const t = timelineOf(view, samples());
    expect(t.start).toBe(t0);
    expect(t.phases.map((p) => p.phase)).toEqual([
      "checkpoint",
      "image",
      "restore",
      "catch-up",
      "fence",
      "drain",
    ]);
    expect(t.freezes).toEqual([{ round: 1, copy: "orders-0@node-a", at: t0 + 100, ms: 250 }]);
    expect(t.fences).toEqual([
      {
        round: 1,
        caughtUpAt: t0 + 2800,
        lagAtCaughtUp: 2,
        completedAt: t0 + 2950,
        handoverMs: 11,
        from: "orders-0@node-a",
        to: "orders-0-shadow-1@node-b",
      },
    ]);
    expect(t.activity.map((a) => [a.copy, a.role])).toEqual([
      ["orders-0@node-a", "source"],
      ["orders-0-shadow-1@node-b", "shadow"],
    ]);
    expect(t.sampled).toBe(true);
  });

  it("draws each copy's activity: the source idle in its freeze, the shadow's replay faster than the input", () => {
    const t = timelineOf(view, samples());
    const [source, shadow] = t.activity;
    // Bins 1 and 2 (100-300 ms) lie in the freeze (100-350 ms): nothing processed but the
    // tail of the answer 5 ms into it.
    expect(source?.counts[1]).toBeLessThan(0.5);
    expect(source?.counts[2]).toBe(0);
    expect(source?.counts[10]).toBe(6);
    expect(Math.max(...(shadow?.counts ?? []))).toBe(40);
    expect(shadow?.counts.slice(0, 23).every((n) => n === 0)).toBe(true);
  });

  it("renders an SVG whose marks sit where the figures were measured", () => {
    const svg = renderTimelineSvg(timelineOf(view, samples()));
    expect(svg.startsWith("<svg")).toBe(true);
    expect(marks(svg, "phase").map((m) => m["data-phase"])).toEqual([
      "checkpoint",
      "image",
      "restore",
      "catch-up",
      "fence",
      "drain",
    ]);
    const [freeze] = marks(svg, "freeze");
    expect(freeze).toMatchObject({
      "data-t0": "100",
      "data-t1": "350",
      "data-copy": "orders-0@node-a",
    });
    // x on the same scale as the ticks: the 0 s and 1 s ticks place 100 ms.
    const tick = (ms: number) =>
      Number(marks(svg, "tick").find((m) => m["data-ms"] === String(ms))?.x1);
    const expected = tick(0) + (tick(1000) - tick(0)) * 0.1;
    expect(Number(freeze?.x)).toBeCloseTo(expected, 0);
    expect(marks(svg, "handover")[0]).toMatchObject({
      "data-t0": "2939",
      "data-t1": "2950",
      "data-ms": "11",
    });
    expect(marks(svg, "fence")[0]).toMatchObject({ "data-t": "2950" });
    expect(
      marks(svg, "activity").map((m) => [m["data-copy"], Number(m["data-records"]) > 0]),
    ).toEqual([
      ["orders-0@node-a", true],
      ["orders-0-shadow-1@node-b", true],
    ]);
    expect(marks(svg, "lag")[0]).toMatchObject({ "data-readings": "5", "data-max": "190" });
    expect(marks(svg, "caught-up")[0]).toMatchObject({ "data-lag": "2" });
  });

  it("says so when nobody sampled the copies, and still draws what the log holds", () => {
    const svg = renderTimelineSvg(timelineOf(view));
    expect(marks(svg, "no-activity")).toHaveLength(1);
    expect(marks(svg, "activity")).toHaveLength(0);
    expect(marks(svg, "freeze")).toHaveLength(1);
  });

  it("escapes names it did not choose", () => {
    const svg = renderTimelineSvg(timelineOf({ ...view, workload: 'a<b>&"c' }));
    expect(svg).toContain("a&lt;b&gt;&amp;&quot;c");
  });
});
