import type { KeyedCount, VerifyReport } from "./analyze.ts";
import type { Percentiles } from "./percentiles.ts";

const ms = (value: number) => `${value.toFixed(1)} ms`;

function line(label: string, p: Percentiles | undefined): string {
  if (!p || p.count === 0) return `  ${label.padEnd(7)} -`;
  return `  ${label.padEnd(7)} n=${p.count}  p50 ${ms(p.p50)}  p90 ${ms(p.p90)}  p99 ${ms(p.p99)}  p99.9 ${ms(p.p999)}  max ${ms(p.max)}`;
}

function keys(count: KeyedCount): string {
  if (count.count === 0) return "0";
  const sample = Object.entries(count.byKey)
    .slice(0, 4)
    .map(([key, seqs]) => `${key}:[${seqs.slice(0, 5).join(",")}]`)
    .join(" ");
  return `${count.count} (${sample})`;
}

/** The report as a few lines a human reads at a glance. */
export function summarize(report: VerifyReport): string {
  const lines = [
    `verdict     ${report.ok ? "OK" : "FAILED"}  (runs: ${report.runs.join(", ") || "-"})`,
    `inputs      ${report.inputs.valid} valid, ${report.inputs.invalid} invalid`,
    `outputs     ${report.outputs.distinct} distinct of ${report.outputs.records}` +
      (report.outputs.unexpected ? `, ${report.outputs.unexpected} without input` : "") +
      `  by ${Object.entries(report.byInstance)
        .map(([instance, n]) => `${instance}=${n}`)
        .join(" ")}`,
    `lost        ${keys(report.lost)}`,
    `duplicated  ${keys(report.duplicated)}`,
    `reordered   ${keys(report.reordered)}`,
    `dead letter ${report.deadLetters.checked ? "" : "(not read) "}${report.deadLetters.count} (expected ${report.deadLetters.expected}, missing ${report.deadLetters.missing}, duplicated ${report.deadLetters.duplicated}, of valid inputs ${report.deadLetters.ofValidInputs})`,
    "latency",
    line("all", report.latency.all),
    ...(report.latency.during
      ? [
          line("before", report.latency.before),
          line("during", report.latency.during),
          line("after", report.latency.after),
        ]
      : []),
    `max extra delay  ${ms(report.maxExtraDelayMs)} beyond steady p99 ${ms(report.steadyP99Ms)}`,
    `downtime    longest stretch with input waiting and no copy consuming ${ms(report.downtime.longest.ms)}` +
      (report.downtime.longest.pausedMs
        ? ` (besides ${ms(report.downtime.longest.pausedMs)} of checkpoint freeze)`
        : "") +
      `; copies: ${report.downtime.spans.map((s) => `${s.copy} (${s.processed})`).join(", ")}`,
    `gap         longest stretch with input waiting and nothing processed ${ms(report.processingGap.longest.ms)}` +
      `, steady p99 ${ms(report.processingGap.steadyMs)} (beyond: ${ms(report.processingGap.beyondSteadyMs)})` +
      `, steady longest ${ms(report.processingGap.steadyLongestMs)} (beyond: ${ms(report.processingGap.beyondSteadyLongestMs)})`,
    `stall       longest stretch with input waiting and no output ${ms(report.stall.longest.ms)}, steady ${ms(report.stall.steadyMs)}, beyond steady ${ms(report.stall.beyondSteadyMs)}`,
  ];
  return lines.join("\n");
}
