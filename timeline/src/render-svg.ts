import { labelRows } from "./labels.ts";
import {
  copyColors,
  FONT,
  GAP,
  LAG_H,
  LANE_H,
  LEFT,
  laneLabel,
  PHASE_H,
  PLOT,
  phaseColors,
  WIDTH,
} from "./layout.ts";
import { tickLabel, ticks, timeScale } from "./scale.ts";
import { duration, el, escapeXml, text } from "./svg.ts";
import type { Timeline } from "./types.ts";

/**
 * The migration as a figure, in the manner of the SHADOW paper's: one time axis (seconds since
 * the request) under the phases, each copy's records processed per bin, the shadow's lag
 * behind its source, and across all of them the checkpoint freezes, the fences and their
 * handovers (and a sequential migration's downtime). Pure: a timeline in, an SVG document out.
 * Every mark carries `data-*` attributes with its times (ms since the request), so a test or
 * a script can read the figure as well as look at it.
 */
export function renderTimelineSvg(t: Timeline): string {
  const x = timeScale(t.start, t.end, LEFT, PLOT);
  const rel = (ms: number) => Math.round(ms - t.start);
  const parts: string[] = [];
  let y = 0;

  const title = `${t.migrationId}: ${t.workload} ${t.sourceNode} → ${t.targetNode}, ${t.strategy}${t.identitySwap ? " + identity swap" : ""}: ${t.status}`;
  parts.push(text({ x: 12, y: 30, "font-size": 15, "font-weight": "bold" }, title));
  // Each round's figures: what the picture shows, as numbers.
  const rounds = [...new Set([...t.freezes, ...t.fences].map((f) => f.round))].sort();
  const figures = rounds.map((round) => {
    const freeze = t.freezes.find((f) => f.round === round);
    const fence = t.fences.find((f) => f.round === round);
    const said = [
      ...(freeze ? [`freeze ${duration(freeze.ms)}`] : []),
      ...(fence?.lagAtCaughtUp !== undefined
        ? [`${fence.lagAtCaughtUp} behind when caught up`]
        : []),
      ...(fence?.handoverMs !== undefined ? [`handover ${duration(fence.handoverMs)}`] : []),
    ];
    return `${rounds.length > 1 ? `round ${round}: ` : ""}${said.join(", ")}`;
  });
  figures.push(`${duration(t.end - t.start)} shown`);
  parts.push(text({ x: 12, y: 50, "font-size": 12, fill: "#444" }, figures.join(" · ")));
  y = 94;
  const plotTop = y;

  // Labels of the marks across the lanes: above the plot (bands), below it (fences).
  const above = labelRows(WIDTH - 4);
  const below = labelRows(WIDTH - 4);
  let belowRows = 1;

  // Phases: one lane, the rounds one after the other.
  parts.push(laneLabel(y, PHASE_H, "phases", ""));
  for (const p of t.phases) {
    const to = p.to ?? t.end;
    const x0 = x(p.from);
    const w = Math.max(1, x(to) - x0);
    const attrs = {
      "data-kind": "phase",
      "data-phase": p.phase,
      "data-round": p.round,
      "data-t0": rel(p.from),
      "data-t1": rel(to),
      "data-failed": p.failed ? "true" : undefined,
    };
    parts.push(
      el("rect", {
        ...attrs,
        x: x0,
        y,
        width: w,
        height: PHASE_H,
        fill: phaseColors[p.phase] ?? "#ccc",
        stroke: p.failed ? "#d62728" : "#fff",
        "stroke-width": p.failed ? 2 : 1,
      }),
    );
    const label = t.phases.some((q) => q.round === 2) ? `${p.phase} ${p.round}` : p.phase;
    if (w > label.length * 6.4 + 6)
      parts.push(text({ x: x0 + 3, y: y + 19, "font-size": 11, "pointer-events": "none" }, label));
  }
  y += PHASE_H + GAP;

  // Each copy's activity, on one shared scale so the copies compare.
  const peak = peakOf(t);
  if (!t.sampled) {
    parts.push(
      text(
        { x: LEFT, y: y + 20, "font-size": 12, fill: "#666", "data-kind": "no-activity" },
        "activity not sampled: the gateway did not watch this migration run (it restarted since)",
      ),
    );
    y += 30 + GAP;
  }
  t.activity.forEach((a, i) => {
    const color = copyColors[i % copyColors.length] as string;
    parts.push(
      laneLabel(y, LANE_H, a.instance, `${a.node}${a.role ? ` · ${a.role}` : ""} · ${a.total} rec`),
    );
    const bars: string[] = [];
    a.counts.forEach((n, b) => {
      if (n <= 0) return;
      const t0 = t.start + b * t.binMs;
      const h = (n / peak) * (LANE_H - 4);
      bars.push(
        el("rect", {
          x: x(t0),
          y: y + LANE_H - h,
          width: Math.max(0.6, x(Math.min(t.end, t0 + t.binMs)) - x(t0) - 0.4),
          height: h,
          fill: color,
        }),
      );
    });
    parts.push(
      el(
        "g",
        {
          "data-kind": "activity",
          "data-copy": a.copy,
          "data-role": a.role,
          "data-records": a.total,
          "data-bins": a.counts.filter((n) => n > 0).length,
        },
        bars.join(""),
      ),
      el("line", { x1: LEFT, x2: LEFT + PLOT, y1: y + LANE_H, y2: y + LANE_H, stroke: "#999" }),
    );
    y += LANE_H + GAP;
  });
  // The catch-up: the lag read from both copies while it ran, and the log's caught-up reading.
  const lagPeak = Math.max(
    1,
    ...t.lag.map((l) => l.records),
    ...t.fences.map((f) => f.lagAtCaughtUp ?? 0),
  );
  const ly = (records: number) => y + LAG_H - (records / lagPeak) * (LAG_H - 6);
  parts.push(laneLabel(y, LAG_H, "lag behind source", `records · peak ${lagPeak}`));
  for (const round of [1, 2] as const) {
    const readings = t.lag.filter((l) => l.round === round);
    if (readings.length === 0) continue;
    const points = readings.map((l) => `${round1(x(l.at))},${round1(ly(l.records))}`).join(" ");
    parts.push(
      el("polyline", {
        "data-kind": "lag",
        "data-round": round,
        "data-readings": readings.length,
        "data-max": Math.max(...readings.map((l) => l.records)),
        points,
        fill: "none",
        stroke: "#d62728",
        "stroke-width": 1.5,
      }),
    );
  }
  for (const f of t.fences) {
    if (f.caughtUpAt === undefined || f.lagAtCaughtUp === undefined) continue;
    const cx = x(f.caughtUpAt);
    parts.push(
      el("circle", {
        "data-kind": "caught-up",
        "data-round": f.round,
        "data-t": rel(f.caughtUpAt),
        "data-lag": f.lagAtCaughtUp,
        cx,
        cy: ly(f.lagAtCaughtUp),
        r: 3.5,
        fill: "#d62728",
      }),
      text(
        { x: cx + 5, y: ly(f.lagAtCaughtUp) - 4, "font-size": 10 },
        `caught up: ${f.lagAtCaughtUp}`,
      ),
    );
  }
  parts.push(
    el("line", { x1: LEFT, x2: LEFT + PLOT, y1: y + LAG_H, y2: y + LAG_H, stroke: "#999" }),
  );
  y += LAG_H + 6;
  const plotBottom = y;

  // Across every lane: freezes, downtime, handovers, fences.
  const band = (
    kind: string,
    from: number,
    to: number,
    fill: string,
    label: string,
    extra: Record<string, string | number>,
  ) => {
    const x0 = x(from);
    parts.push(
      el("rect", {
        "data-kind": kind,
        "data-t0": rel(from),
        "data-t1": rel(to),
        ...extra,
        x: x0,
        y: plotTop,
        width: Math.max(2, x(to) - x0),
        height: plotBottom - plotTop,
        fill,
        "fill-opacity": 0.35,
      }),
    );
    const at = above(x0, label);
    parts.push(
      text(
        {
          x: at.x,
          y: plotTop - 4 - 12 * at.row,
          "font-size": 10,
          fill,
          ...(at.anchorEnd ? { "text-anchor": "end" } : {}),
        },
        label,
      ),
    );
  };
  if (t.outage)
    band("outage", t.outage.from, t.outage.to ?? t.end, "#7f7f7f", "no copy serving", {});
  for (const f of t.freezes)
    band("freeze", f.at, f.at + f.ms, "#1f4e9c", `freeze ${duration(f.ms)}`, {
      "data-round": f.round,
      "data-copy": f.copy,
      "data-ms": f.ms,
    });
  for (const f of t.fences) {
    if (f.completedAt === undefined) continue;
    if (f.handoverMs !== undefined)
      band(
        "handover",
        f.completedAt - f.handoverMs,
        f.completedAt,
        "#9467bd",
        `handover ${duration(f.handoverMs)}`,
        { "data-round": f.round, "data-ms": f.handoverMs, "data-from": f.from, "data-to": f.to },
      );
    const fx = x(f.completedAt);
    parts.push(
      el("line", {
        "data-kind": "fence",
        "data-round": f.round,
        "data-t": rel(f.completedAt),
        x1: fx,
        x2: fx,
        y1: plotTop,
        y2: plotBottom,
        stroke: "#000",
        "stroke-dasharray": "4 3",
      }),
    );
    const label = `fence ${f.round}: ${f.to.split("@")[0]} serves`;
    const at = below(fx, label);
    belowRows = Math.max(belowRows, at.row + 1);
    parts.push(
      text(
        {
          x: at.x,
          y: plotBottom + 12 + 12 * at.row,
          "font-size": 10,
          ...(at.anchorEnd ? { "text-anchor": "end" } : {}),
        },
        label,
      ),
    );
  }

  // The time axis, under the fence labels.
  y = plotBottom + 8 + 12 * belowRows;
  for (const ms of ticks(t.end - t.start)) {
    const tx = x(t.start + ms);
    parts.push(
      el("line", {
        "data-kind": "tick",
        "data-ms": ms,
        x1: tx,
        x2: tx,
        y1: plotTop,
        y2: y,
        stroke: "#000",
        "stroke-opacity": 0.08,
      }),
      text({ x: tx, y: y + 12, "font-size": 10, "text-anchor": "middle" }, tickLabel(ms)),
    );
  }
  parts.push(
    text(
      { x: LEFT, y: y + 28, "font-size": 10, fill: "#444" },
      `bars: records each copy processed per ${t.binMs} ms, on one scale (peak ${Math.round(peakOf(t))})`,
    ),
    text(
      { x: LEFT + PLOT, y: y + 28, "font-size": 10, "text-anchor": "end", fill: "#444" },
      "time since the migration was requested",
    ),
  );
  const height = y + 38;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" data-migration="${t.migrationId}" data-start="${new Date(t.start).toISOString()}" data-span-ms="${Math.round(t.end - t.start)}">`,
    // What a screen reader says, and a browser's tooltip: the migration and its outcome.
    el("title", {}, escapeXml(`timeline of migration ${title}`)),
    el("rect", { x: 0, y: 0, width: WIDTH, height, fill: "#fff" }),
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

const peakOf = (t: Timeline) => Math.max(1, ...t.activity.flatMap((a) => a.counts));

const round1 = (n: number) => Math.round(n * 10) / 10;
