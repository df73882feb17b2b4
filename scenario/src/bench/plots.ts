import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { quantile } from "./quantile.ts";
import type { BenchRow } from "./row.ts";

export interface Plot {
  /** File name, e.g. `phases.svg`. */
  name: string;
  svg: string;
}

const phaseOrder = ["checkpoint", "image", "restore", "catch-up", "fence", "drain", "swap"];

const median = (values: number[]) => quantile(values, 0.5);

/** Rows grouped by configuration and rate (state and partitions folded into the label). */
function groups(rows: BenchRow[]): Map<string, { config: string; rate: number; rows: BenchRow[] }> {
  const out = new Map<string, { config: string; rate: number; rows: BenchRow[] }>();
  const varied = new Set(rows.map((r) => `${r.stateMb}/${r.partitions}`)).size > 1;
  for (const row of rows) {
    const config = varied ? `${row.config} ${row.stateMb}MB/${row.partitions}p` : row.config;
    const key = `${config}@${row.rate}`;
    const group = out.get(key) ?? { config, rate: row.rate, rows: [] };
    group.rows.push(row);
    out.set(key, group);
  }
  return out;
}

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}

/**
 * The benchmark's figures as SVG (vega-lite, rendered headless): where each configuration's
 * time goes (median per phase, stacked, one panel per rate), and total time and downtime
 * against the input rate.
 */
export async function benchPlots(rows: BenchRow[]): Promise<Plot[]> {
  const phaseData: { config: string; rate: number; phase: string; order: number; s: number }[] = [];
  const rateData: { config: string; rate: number; measure: string; s: number }[] = [];
  for (const { config, rate, rows: group } of groups(rows).values()) {
    for (const phase of phaseOrder) {
      const ms = median(
        group.map((r) =>
          phase === "swap"
            ? r.identitySwapMs || Number.NaN
            : (r.phases[phase as keyof BenchRow["phases"]] ?? Number.NaN),
        ),
      );
      if (Number.isFinite(ms))
        phaseData.push({ config, rate, phase, order: phaseOrder.indexOf(phase), s: ms / 1000 });
    }
    const total = median(group.map((r) => r.totalMs));
    const downtime = median(group.map((r) => r.downtimeProbeMs));
    if (Number.isFinite(total))
      rateData.push({ config, rate, measure: "total migration time", s: total / 1000 });
    if (Number.isFinite(downtime))
      rateData.push({ config, rate, measure: "downtime (10 ms HTTP probe)", s: downtime / 1000 });
  }
  const phases: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Where the time goes: median seconds per phase",
    data: { values: phaseData },
    facet: { row: { field: "rate", type: "ordinal", title: "msg/s" } },
    spec: {
      width: 480,
      mark: "bar",
      encoding: {
        y: { field: "config", type: "nominal", title: null },
        x: { field: "s", type: "quantitative", aggregate: "sum", title: "seconds" },
        color: { field: "phase", type: "nominal", sort: phaseOrder },
        order: { field: "order", type: "quantitative" },
        tooltip: [{ field: "phase" }, { field: "s", format: ".2f" }],
      },
    },
  };
  const byRate: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Total migration time and downtime against the input rate (medians)",
    data: { values: rateData },
    facet: { column: { field: "measure", type: "nominal", title: null } },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 320,
      height: 240,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "rate", type: "quantitative", title: "input rate (msg/s)" },
        y: { field: "s", type: "quantitative", title: "seconds" },
        color: { field: "config", type: "nominal" },
      },
    },
  };
  return [
    { name: "phases.svg", svg: await render(phases) },
    { name: "total-and-downtime.svg", svg: await render(byRate) },
  ];
}
