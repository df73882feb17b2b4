import {
  type BenchRow,
  benchPlots,
  benchProfiles,
  benchTable,
  medianRuns,
  ratioTable,
  runBench,
} from "@shadow/scenario";
import { renderTimelineSvg, type Timeline } from "@shadow/timeline";
import { describe, expect, it } from "vitest";
import { useScenarioEnvironment } from "./scenario-env.ts";

const env = useScenarioEnvironment();

describe("the benchmark harness on the real stack", () => {
  it("runs the quick profile's harness on a tiny grid: the baseline and ShadowPod with node-to-node transfer, side by side", async () => {
    const quick = benchProfiles.quick;
    if (!quick) throw new Error("no quick profile");
    const progress: number[] = [];
    const timelines = new Map<number, Timeline>();
    const rows = await runBench(
      env(),
      {
        ...quick,
        configs: ["sequential", "shadow+direct"],
        rates: [20],
        partitions: [2],
        warmupMs: 2_000,
        cooldownMs: 1_000,
      },
      (done) => progress.push(done),
      (index, report) => {
        if (report.timeline) timelines.set(index, report.timeline);
      },
    );
    expect(progress).toEqual([1, 2]);
    expect(rows.map((r) => r.config)).toEqual(["sequential", "shadow+direct"]);
    const [sequential, direct] = rows as [BenchRow, BenchRow];
    for (const row of rows) {
      expect(row.status).toBe("completed");
      expect(row.sent).toBeGreaterThan(30);
      expect(row.lost).toBe(0);
      expect(row.duplicated).toBe(0);
      expect(row.checkpointPauseMs).toBeGreaterThan(0);
    }
    // The baseline stops the workload; ShadowPod keeps one instance serving throughout.
    expect(sequential.downtimeProbeMs).toBeGreaterThan(100);
    expect(
      direct.downtimeProbeMs,
      `outage in ${direct.downtimeProbeIn}: ${direct.downtimeProbeWhy}`,
    ).toBe(0);
    // The image went node to node: the steps reported the copy, the pull moved off the restore.
    expect(direct.transferMs).toBeGreaterThan(0);
    expect(direct.criuRestoreMs).toBeGreaterThan(0);
    expect(direct.imageBytes).toBeGreaterThan(1_000_000);

    const table = benchTable(rows);
    expect(table).toMatch(/\| sequential \| 20 \| 0 \| 2 \| 1 \|/);
    expect(table).toMatch(/\| shadow\+direct \| 20 \| 0 \| 2 \| 1 \|/);
    const ratios = ratioTable(rows, "shadow+direct");
    expect(ratios).toMatch(/\| 20 \| 0 \| 2 \| \d+\.\d\d \| \d+\.\d\d \| \d\.\d{3} \| 0\.00 \|/);
    const plots = await benchPlots(rows);
    expect(plots.every((p) => p.svg.includes(">shadow+direct<"))).toBe(true);
    // A timeline for each configuration's median run: here the only run of each.
    const medians = medianRuns(rows);
    expect(medians.map((m) => m.file)).toEqual([
      "timeline-sequential-20-0-2.svg",
      "timeline-shadow-direct-20-0-2.svg",
    ]);
    for (const m of medians) {
      const timeline = timelines.get(m.index);
      const row = rows[m.index] as BenchRow;
      expect(timeline?.phases.map((p) => p.phase)).toContain("checkpoint");
      // The copy serving after the end is drawn; ShadowPod's source, serving throughout, too.
      // (The baseline's source stops within a few hundred ms of the request: maybe never seen.)
      const serving = timeline?.activity.map((a) => a.role);
      expect(serving, m.file).toContain(row.config === "sequential" ? "restored copy" : "shadow");
      if (row.config !== "sequential") expect(serving, m.file).toContain("source");
      expect(renderTimelineSvg(timeline as Timeline)).toContain('data-kind="freeze"');
    }
    // The sequential source is down from its freeze until its copy runs: drawn as such.
    expect(timelines.get(0)?.outage).toBeDefined();
  });
});
