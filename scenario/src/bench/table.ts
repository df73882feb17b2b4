import type { BenchConfig } from "./grid.ts";
import type { BenchRow } from "./row.ts";

function quantile(values: number[], q: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

const s = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : "-");

/**
 * The paper's table, one row per configuration and rate: medians (p95 in brackets) in
 * seconds, and the loss and duplicate totals over every run.
 */
export function benchTable(rows: BenchRow[]): string {
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const key = `${row.config}@${row.rate}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const lines = [
    "| config | rate | runs | checkpoint | image | restore | replay | fence | drain | swap | total | pause | downtime probe | downtime msg | max extra delay | lost | dup |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [key, group] of groups) {
    const [config, rate] = key.split("@");
    const m = (pick: (r: BenchRow) => number) =>
      `${s(quantile(group.map(pick), 0.5))} (${s(quantile(group.map(pick), 0.95))})`;
    lines.push(
      [
        config,
        rate,
        group.length,
        m((r) => r.phases.checkpoint ?? Number.NaN),
        m((r) => r.phases.image ?? Number.NaN),
        m((r) => r.phases.restore ?? Number.NaN),
        m((r) => r.phases["catch-up"] ?? Number.NaN),
        m((r) => r.phases.fence ?? Number.NaN),
        m((r) => r.phases.drain ?? Number.NaN),
        m((r) => r.identitySwapMs || Number.NaN),
        m((r) => r.totalMs),
        m((r) => r.checkpointPauseMs),
        m((r) => r.downtimeProbeMs),
        m((r) => r.downtimeMessageMs),
        m((r) => r.maxExtraDelayMs),
        group.reduce((n, r) => n + r.lost, 0),
        group.reduce((n, r) => n + r.duplicated, 0),
      ]
        .join(" | ")
        .replace(/^/, "| ")
        .concat(" |"),
    );
  }
  return lines.join("\n");
}

/** Total-time and downtime ratios of a configuration to the sequential baseline, per rate. */
export function ratioTable(rows: BenchRow[], config: BenchConfig): string {
  const lines = [
    `| rate | total ${config} / sequential | downtime (probe) ${config} / sequential |`,
    "|---|---|---|",
  ];
  const rates = [...new Set(rows.map((r) => r.rate))].sort((a, b) => a - b);
  for (const rate of rates) {
    const of = (c: BenchConfig, pick: (r: BenchRow) => number) =>
      quantile(rows.filter((r) => r.config === c && r.rate === rate).map(pick), 0.5);
    const total = of(config, (r) => r.totalMs) / of("sequential", (r) => r.totalMs);
    const down = of(config, (r) => r.downtimeProbeMs) / of("sequential", (r) => r.downtimeProbeMs);
    lines.push(
      `| ${rate} | ${Number.isFinite(total) ? total.toFixed(3) : "-"} | ${Number.isFinite(down) ? down.toFixed(3) : "-"} |`,
    );
  }
  return lines.join("\n");
}
