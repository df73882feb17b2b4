/** Maps times (ms since epoch) on [start, end] to x on [left, left + width]. */
export function timeScale(start: number, end: number, left: number, width: number) {
  const span = Math.max(1, end - start);
  return (t: number) => left + ((t - start) / span) * width;
}

const steps = [
  100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
];

/** Tick offsets (ms from the start) every round step that gives at most `maxTicks` ticks. */
export function ticks(spanMs: number, maxTicks = 12): number[] {
  const step =
    steps.find((s) => spanMs / s <= maxTicks) ?? Math.ceil(spanMs / maxTicks / 60_000) * 60_000;
  const out: number[] = [];
  for (let t = 0; t <= spanMs + 1e-6; t += step) out.push(t);
  return out;
}

/** A tick label: seconds since the request. */
export const tickLabel = (ms: number) =>
  ms === 0
    ? "0 s"
    : ms % 1000 === 0
      ? `${ms / 1000} s`
      : `${(ms / 1000).toFixed(ms % 100 === 0 ? 1 : 2)} s`;
