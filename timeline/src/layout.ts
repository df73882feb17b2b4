import { el, text } from "./svg.ts";

/** The figure's fixed geometry (px) and colours: one place, so lanes and marks line up. */
export const WIDTH = 1100;
export const LEFT = 210;
export const RIGHT = 24;
export const PLOT = WIDTH - LEFT - RIGHT;
export const PHASE_H = 30;
export const LANE_H = 64;
export const LAG_H = 56;
export const GAP = 14;
export const FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif";

export const phaseColors: Record<string, string> = {
  checkpoint: "#8da0cb",
  image: "#a6d854",
  restore: "#ffd92f",
  "catch-up": "#fc8d62",
  fence: "#e78ac3",
  drain: "#b3b3b3",
};
export const copyColors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"];

/** A name that fits the label column: its start and its end, which tell copies apart. */
export function fitLabel(name: string, max: number): string {
  if (name.length <= max) return name;
  const head = Math.ceil((max - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (max - 1 - head))}`;
}

export function laneLabel(y: number, h: number, name: string, detail: string): string {
  return el(
    "g",
    { "data-kind": "lane-label" },
    [
      text(
        {
          x: LEFT - 8,
          y: y + h / 2 - (detail ? 2 : -4),
          "font-size": 11,
          "font-weight": "bold",
          "text-anchor": "end",
        },
        fitLabel(name, 24),
      ),
      detail
        ? text(
            { x: LEFT - 8, y: y + h / 2 + 12, "font-size": 10, fill: "#555", "text-anchor": "end" },
            detail,
          )
        : "",
    ].join(""),
  );
}
