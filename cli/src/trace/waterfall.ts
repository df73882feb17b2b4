import { spanFacts, str } from "./span-facts.ts";
import type { Trace, TraceSpan } from "./spans.ts";

export interface WaterfallOptions {
  /** Columns to fit in (the terminal's width). */
  width: number;
  /** Also the messaging client's transport spans (`send <topic>`, `process <topic>`). */
  all?: boolean;
}

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A duration in a fixed width a person reads at a glance: "0.4 ms", "168 ms", "2.57 s". */
export function formatUs(us: number): string {
  const ms = us / 1000;
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

const width = (s: string) => [...s].length;
const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - width(s)));
const padStart = (s: string, n: number) => " ".repeat(Math.max(0, n - width(s))) + s;
const cut = (s: string, n: number) =>
  width(s) <= n ? s : `${[...s].slice(0, Math.max(0, n - 1)).join("")}…`;

/** The CloudEvent type's own part: "handle io.shadow.migration.fence.passed.v1" → "handle fence.passed". */
export const shortOperation = (op: string) =>
  op.replace(/io\.shadow\.(migration\.)?/, "").replace(/\.v\d+$/, "");

/** Transport spans of the kafkajs instrumentation: one per event per consumer, and no step. */
const isTransport = (s: TraceSpan) =>
  /^(send|process) \S+$/.test(s.operation) &&
  !Object.keys(s.attributes).some((k) => k.startsWith("shadow."));

/**
 * A trace as a waterfall: one line per span in start order, its operation indented by its depth
 * under its parent, with its service, start offset, duration (as a bar on the trace's time
 * axis and as a figure) and the attributes that matter. Fitted to `width` columns: where the
 * attributes do not fit on the span's line they follow it, indented. Spans whose parent is
 * not in the trace are marked `?` and counted at the end. Pure: spans in, lines out.
 */
export function renderWaterfall(trace: Trace, o: WaterfallOptions): string[] {
  const W = Math.max(60, o.width);
  const ids = new Set(trace.spans.map((s) => s.spanId));
  const orphans = trace.spans.filter((s) => s.parentId !== undefined && !ids.has(s.parentId));
  const shown = trace.spans.filter((s) => o.all || !isTransport(s));
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
  const shownIds = new Set(shown.map((s) => s.spanId));
  /** Shown ancestors: a hidden transport span does not indent its children. */
  const depthOf = (s: TraceSpan) => {
    let depth = 0;
    for (
      let p = s.parentId ? byId.get(s.parentId) : undefined, hops = 0;
      p && hops < 1000;
      hops++
    ) {
      if (shownIds.has(p.spanId)) depth++;
      p = p.parentId ? byId.get(p.parentId) : undefined;
    }
    return depth;
  };
  const rows = shown
    .map((s) => ({ s, depth: depthOf(s) }))
    .sort((a, b) => a.s.startUs - b.s.startUs || a.depth - b.depth);
  // The axis spans what is shown: a consumer reading the log again much later (a restarted
  // gateway's projection) adds transport spans far to the right.
  const t0 = Math.min(...shown.map((s) => s.startUs));
  const t1 = Math.max(...shown.map((s) => s.startUs + s.durationUs));
  const total = Math.max(1, t1 - t0);

  const root = trace.spans.find((s) => s.parentId === undefined);
  const migration =
    str(root?.attributes["shadow.migration.id"]) ??
    str(
      rows.find((r) => r.s.attributes["shadow.migration.id"])?.s.attributes["shadow.migration.id"],
    );
  const workload = str(
    rows.find((r) => r.s.attributes["shadow.workload"])?.s.attributes["shadow.workload"],
  );
  const hidden = trace.spans.length - shown.length;
  const header = [
    `trace ${trace.traceId}`,
    ...(migration ? [`migration ${migration}${workload ? ` (${workload})` : ""}`] : []),
    `${shown.length} spans over ${formatUs(total)}`,
    ...(hidden > 0 ? [`${hidden} transport spans hidden (--all shows them)`] : []),
  ];

  const wide = W >= 120;
  const serviceW = Math.min(14, Math.max(7, ...rows.map((r) => width(r.s.service))));
  // Narrow, the name column keeps room for the longest step ("handle checkpoint-image.ready")
  // at the deepest indent, and the bar takes what is left.
  const nameW = wide ? 52 : Math.min(52, W - 32);
  const opW = nameW - serviceW - 1;
  const barW = wide ? 30 + Math.floor((W - 120) / 4) : W - 8 - 1 - nameW - 1 - 1 - 8;
  const factsAt = 8 + 1 + nameW + 1 + barW + 1 + 8 + 2;
  // Indent by depth only as far as the longest operation still fits its column: a chain of
  // services deeper than the column allows shows every name whole, at the deepest indent.
  const longestOp = Math.max(0, ...rows.map((r) => width(shortOperation(r.s.operation)) + 2));
  const maxIndent = Math.max(0, Math.min(wide ? 16 : 4, opW - longestOp));

  const bar = (s: TraceSpan) => {
    const from = ((s.startUs - t0) / total) * barW;
    const to = Math.max(from + 1 / 8, ((s.startUs + s.durationUs - t0) / total) * barW);
    const startCol = Math.floor(from);
    const fullTo = Math.floor(to);
    const eighths = Math.round((to - fullTo) * 8);
    let line = " ".repeat(startCol) + "█".repeat(Math.max(0, fullTo - startCol));
    if (eighths > 0 && fullTo < barW) line += eighths === 8 ? "█" : EIGHTHS[eighths];
    if (width(line) === startCol) line += "▏";
    return pad(cut(line, barW), barW);
  };

  const lines = [
    ...joinFitting(header, " · ", W),
    // The column heads; over the bars, the trace's time axis from 0 to its end.
    `${padStart("start", 8)} ${pad(`${pad("service", serviceW)} operation`, nameW)} ${padStart(formatUs(total), barW).replace(/^ /, "0")} ${padStart("duration", 8)}`,
  ];
  let lastHandoff = "";
  for (const { s, depth } of rows) {
    const orphan = orphans.includes(s) ? "? " : "";
    const op = `${" ".repeat(Math.min(depth, maxIndent))}${orphan}${shortOperation(s.operation)}`;
    const name = `${pad(cut(s.service, serviceW), serviceW)} ${pad(cut(op, opW), opW)}`;
    const main = `${padStart(formatUs(s.startUs - t0), 8)} ${name} ${bar(s)} ${padStart(formatUs(s.durationUs), 8)}`;
    // The handoff is said where it changes (the first step, a new round), offsets always.
    const { handoff, offsets: carried } = spanFacts(s);
    const facts = [...(handoff && handoff !== lastHandoff ? [handoff] : []), ...carried].join(
      " · ",
    );
    if (handoff) lastHandoff = handoff;
    if (!facts) lines.push(main);
    else if (wide && factsAt + width(facts) <= W) lines.push(`${main}  ${facts}`);
    else {
      lines.push(main);
      lines.push(...wrap(facts, W, 10 + Math.min(depth, maxIndent)));
    }
  }
  if (orphans.length > 0)
    lines.push(
      cut(
        `partial trace: ${orphans.length} span${orphans.length === 1 ? "" : "s"} (marked ?) name a parent that is not in it: not exported yet, or lost`,
        W,
      ),
    );
  for (const w of trace.warnings) lines.push(cut(`jaeger: ${w}`, W));
  return lines;
}

/** Parts joined by `sep` onto as few lines of at most `widthIn` columns as they fit. */
function joinFitting(parts: string[], sep: string, widthIn: number): string[] {
  const out: string[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (last !== undefined && width(last) + width(sep) + width(part) <= widthIn)
      out[out.length - 1] = last + sep + part;
    else out.push(cut(part, widthIn));
  }
  return out;
}

/** Words onto lines of at most `width` columns, each indented by `indent` and led by "↳ ". */
function wrap(textIn: string, widthIn: number, indent: number): string[] {
  const lead = `${" ".repeat(indent)}↳ `;
  const room = Math.max(20, widthIn - width(lead));
  const out: string[] = [];
  let line = "";
  for (const word of textIn.split(" ")) {
    if (line && width(line) + 1 + width(word) > room) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.map((l, i) => (i === 0 ? lead : " ".repeat(width(lead))) + cut(l, room));
}
