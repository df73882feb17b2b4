import { describe, expect, it } from "vitest";
import type { Trace, TraceSpan } from "./spans.ts";
import { renderWaterfall, shortOperation } from "./waterfall.ts";

const t0 = 1_765_000_000_000_000;
let n = 0;
function span(
  parent: TraceSpan | undefined,
  service: string,
  operation: string,
  startMs: number,
  ms: number,
  attributes: Record<string, unknown> = {},
): TraceSpan {
  n += 1;
  return {
    spanId: `s${n}`,
    ...(parent ? { parentId: parent.spanId } : {}),
    service,
    operation,
    startUs: t0 + startMs * 1000,
    durationUs: ms * 1000,
    attributes,
    error: false,
  };
}

const handoff = {
  "shadow.migration.id": "mig-1",
  "shadow.workload": "orders-0",
  "shadow.round": 1,
  "shadow.instance.from": "orders-0",
  "shadow.node.from": "node-a",
  "shadow.instance.to": "orders-0-shadow-1",
  "shadow.node.to": "node-b",
};
const root = span(undefined, "gateway", "migration requested", 0, 20, {
  "shadow.migration.id": "mig-1",
  "shadow.workload": "orders-0",
});
const emitRequested = span(root, "gateway", "emit io.shadow.migration.requested.v1", 5, 10, {
  "shadow.migration.id": "mig-1",
});
const send = span(emitRequested, "gateway", "send shadow.migrations.v1", 6, 8);
const process1 = span(send, "drain-svc", "process shadow.migrations.v1", 12, 3);
const checkpoint = span(
  emitRequested,
  "checkpoint-svc",
  "handle io.shadow.migration.requested.v1",
  30,
  400,
  handoff,
);
const created = span(
  checkpoint,
  "checkpoint-svc",
  "emit io.shadow.migration.checkpoint.created.v1",
  420,
  5,
  {
    ...handoff,
    "shadow.offsets.at_dump": '["shadow.scenario.ab.input/0@41","shadow.scenario.ab.input/1@-1"]',
  },
);
const image = span(
  created,
  "image-svc",
  "handle io.shadow.migration.checkpoint.created.v1",
  430,
  1500,
  handoff,
);
const passed = span(image, "fence-svc", "handle io.shadow.migration.fence.passed.v1", 2500, 50, {
  ...handoff,
  "shadow.offsets.cut": ["in/0@57", "in/1@12"],
});
const round2 = span(
  passed,
  "drain-svc",
  "handle io.shadow.migration.fence.completed.v1",
  2600,
  400,
  {
    ...handoff,
    "shadow.round": 2,
    "shadow.instance.from": "orders-0-shadow-1",
    "shadow.node.from": "node-b",
    "shadow.instance.to": "orders-0",
    "shadow.node.to": "node-b",
  },
);

const trace: Trace = {
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  // Out of order, as an API may answer.
  spans: [image, root, process1, created, send, checkpoint, emitRequested, passed, round2],
  warnings: [],
};

describe("a trace as a terminal waterfall", () => {
  for (const width of [80, 160]) {
    it(`fits ${width} columns: one line per span in start order, indented under its parent`, () => {
      const lines = renderWaterfall(trace, { width });
      for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(width);
      expect(lines.slice(0, 2).join(" · ")).toMatch(
        /^trace 4bf92f3577b34da6a3ce929d0e0e4736 · migration mig-1 \(orders-0\) · 7 spans over 3.00 s/,
      );
      const spanLines = lines.filter((l) => /^\s*\d+(\.\d+)? m?s /.test(l));
      expect(spanLines.map((l) => l.slice(9).trim().split(/\s+/).slice(1, 3).join(" "))).toEqual([
        "migration requested",
        "emit requested",
        "handle requested",
        "emit checkpoint.created",
        "handle checkpoint.created",
        "handle fence.passed",
        "handle fence.completed",
      ]);
      // Start offsets and durations as figures.
      expect(spanLines[2]).toMatch(/^\s+30 ms checkpoint-svc\s+handle requested\s.*\s400 ms$/);
      expect(spanLines[4]).toMatch(/ 1\.50 s$/);
      // Deeper spans start further right in the operation column (up to a cap).
      const indent = (l: string) => l.slice(9 + 15).match(/^ */)?.[0].length ?? 0;
      expect(indent(spanLines[1] as string)).toBeGreaterThan(indent(spanLines[0] as string));
      expect(indent(spanLines[2] as string)).toBeGreaterThan(indent(spanLines[1] as string));
      const text = lines.join("\n");
      // The handoff where it is first said and where it changes, offsets where carried.
      expect(text).toContain("round 1: orders-0@node-a → orders-0-shadow-1@node-b");
      expect(text).toContain("round 2: orders-0-shadow-1@node-b → orders-0@node-b");
      expect(text.match(/round 1:/g)).toHaveLength(1);
      expect(text).toContain("at dump 0@41 1@-1");
      expect(text).toContain("cut 0@57 1@12");
      expect(text).toContain("2 transport spans hidden (--all shows them)");
    });
  }

  it("puts the attributes on the span's own line when wide, on the lines below when narrow", () => {
    const wide = renderWaterfall(trace, { width: 160 });
    expect(wide.find((l) => l.includes("handle fence.passed"))).toContain("cut 0@57 1@12");
    const narrow = renderWaterfall(trace, { width: 80 });
    const at = narrow.findIndex((l) => l.includes("handle fence.passed"));
    expect(narrow[at]).not.toContain("cut");
    expect(narrow[at + 1]).toMatch(/^\s+↳ cut 0@57 1@12$/);
  });

  it("draws each duration as a bar on the trace's time axis", () => {
    const lines = renderWaterfall(trace, { width: 80 });
    const bars = lines.filter((l) => l.includes("█") || l.includes("▏"));
    const image = bars.find((l) => l.includes("handle checkpoint.created")) as string;
    const root = bars.find((l) => l.includes("migration requested")) as string;
    // 1.5 s of 3 s: about half the bar; the root's 20 ms a sliver at its left end.
    expect((image.match(/█/g) ?? []).length).toBeGreaterThanOrEqual(7);
    expect(image.indexOf("█")).toBeGreaterThan(root.search(/[▏▎█]/));
  });

  it("shows the transport spans with --all", () => {
    const text = renderWaterfall(trace, { width: 120, all: true }).join("\n");
    expect(text).toContain("send shadow.migrations ");
    expect(text).toContain("process shadow.migrations ");
    expect(text).not.toContain("hidden");
  });

  it("marks spans whose parent is missing and says the trace is partial", () => {
    const partial: Trace = { ...trace, spans: trace.spans.filter((s) => s !== checkpoint) };
    const lines = renderWaterfall(partial, { width: 100 });
    expect(lines.find((l) => l.includes("emit checkpoint.created"))).toMatch(
      /\? emit checkpoint\.created/,
    );
    expect(lines.at(-1)).toMatch(
      /^partial trace: 1 span \(marked \?\) name a parent that is not in it/,
    );
  });

  it("shortens event types to what names the step", () => {
    expect(shortOperation("handle io.shadow.migration.checkpoint-image.ready.v1")).toBe(
      "handle checkpoint-image.ready",
    );
    expect(shortOperation("emit io.shadow.node.pressure.detected.v1")).toBe(
      "emit node.pressure.detected",
    );
  });
});
