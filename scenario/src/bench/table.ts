import type { BenchConfig } from "./grid.ts";
import { quantile } from "./quantile.ts";
import type { BenchRow } from "./row.ts";

const s = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : "-");

/**
 * The paper's table, one row per configuration, rate, state size and partition count: medians
 * (p95 in brackets) in seconds, and the loss, duplicate and failed-run totals over every run.
 * Phases are wall clock between events; build, transfer (push + pull, or the node-to-node
 * copy) and CRIU restore are what the steps measured themselves.
 */
export function benchTable(rows: BenchRow[]): string {
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const key = `${row.config}@${row.rate}@${row.stateMb}@${row.partitions}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const lines = [
    "| config | rate | state MB | partitions | runs | checkpoint | image | restore | replay | fence | drain | swap | total | build | transfer | CRIU restore | pause | downtime probe | downtime msg | longest stall | processing gap | gap vs steady max | stall msg | max extra delay | lost | dup | state | failed |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [key, group] of groups) {
    const [config, rate, stateMb, partitions] = key.split("@");
    const m = (pick: (r: BenchRow) => number) =>
      `${s(quantile(group.map(pick), 0.5))} (${s(quantile(group.map(pick), 0.95))})`;
    lines.push(
      [
        config,
        rate,
        stateMb,
        partitions,
        group.length,
        m((r) => r.phases.checkpoint ?? Number.NaN),
        m((r) => r.phases.image ?? Number.NaN),
        m((r) => r.phases.restore ?? Number.NaN),
        m((r) => r.phases["catch-up"] ?? Number.NaN),
        m((r) => r.phases.fence ?? Number.NaN),
        m((r) => r.phases.drain ?? Number.NaN),
        m((r) => r.identitySwapMs || Number.NaN),
        m((r) => r.totalMs),
        m((r) => r.buildMs),
        m((r) => r.transferMs),
        m((r) => r.criuRestoreMs),
        m((r) => r.checkpointPauseMs),
        m((r) => r.downtimeProbeMs),
        m((r) => r.downtimeMessageMs),
        m((r) => r.longestStallMs),
        m((r) => r.processingGapMs),
        m((r) => r.processingGapBeyondSteadyLongestMs),
        m((r) => r.stallMs),
        m((r) => r.maxExtraDelayMs),
        countOf(group, (r) => r.lost),
        countOf(group, (r) => r.duplicated),
        countOf(group, (r) => r.stateViolations),
        group.filter((r) => r.status !== "completed").length,
      ]
        .join(" | ")
        .replace(/^/, "| ")
        .concat(" |"),
    );
  }
  return lines.join("\n");
}

/**
 * Total-time and downtime of a configuration beside the sequential baseline's, from runs of the
 * same invocation, and their ratios; one line per rate, state size and partition count.
 */
export function ratioTable(rows: BenchRow[], config: BenchConfig): string {
  const lines = [
    `| rate | state MB | partitions | total ${config} | total sequential | ratio | downtime (probe) ${config} | downtime sequential | ratio |`,
    "|---|---|---|---|---|---|---|---|---|",
  ];
  const keys = [...new Set(rows.map((r) => `${r.rate}@${r.stateMb}@${r.partitions}`))].sort(
    (a, b) => Number(a.split("@")[0]) - Number(b.split("@")[0]),
  );
  const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? (a / b).toFixed(3) : "-");
  for (const key of keys) {
    const [rate, stateMb, partitions] = key.split("@").map(Number);
    const of = (c: BenchConfig, pick: (r: BenchRow) => number) =>
      quantile(
        rows
          .filter(
            (r) =>
              r.config === c &&
              r.rate === rate &&
              r.stateMb === stateMb &&
              r.partitions === partitions,
          )
          .map(pick),
        0.5,
      );
    const total = [of(config, (r) => r.totalMs), of("sequential", (r) => r.totalMs)] as const;
    const down = [
      of(config, (r) => r.downtimeProbeMs),
      of("sequential", (r) => r.downtimeProbeMs),
    ] as const;
    lines.push(
      `| ${rate} | ${stateMb} | ${partitions} | ${s(total[0])} | ${s(total[1])} | ${ratio(...total)} | ${s(down[0])} | ${s(down[1])} | ${ratio(...down)} |`,
    );
  }
  return lines.join("\n");
}

/** A count summed over runs; `+?` when some run was never verified (a harness error). */
function countOf(group: readonly BenchRow[], pick: (r: BenchRow) => number): string {
  const known = group.map(pick).filter(Number.isFinite);
  const sum = known.reduce((n, v) => n + v, 0);
  return known.length < group.length ? `${sum}+?` : String(sum);
}

const gbps = (bytes: number | undefined, ms: number | undefined) =>
  bytes !== undefined && ms !== undefined && ms > 0 ? bytes / 1e9 / (ms / 1000) : Number.NaN;
const rate = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en") : "-");

/**
 * Where the time of a large migration goes, stage by stage, as throughput beside the machine's
 * own figures (medians): the dump (bytes over the source's pause), the move to the target
 * (bytes moved over the transfer; a post-copy stream moves only what the restore needs first),
 * the restore until the shadow's first processed record, every page in (post-copy), the
 * replay against the input it catches up with, and the identity swap's second pause.
 */
export function throughputTable(rows: BenchRow[], machine?: string): string {
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const key = `${row.config}@${row.rate}@${row.stateMb}@${row.partitions}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const lines = [
    ...(machine ? [machine, ""] : []),
    "| config | rate | state MB | partitions | transfer | dump MB | pause s | dump GB/s | moved MB | transfer s | move GB/s | image phase s | restore phase s | to first record s | every page in s | replay/s | input/s | swap pause s |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const [key, group] of groups) {
    const [config, r, stateMb, partitions] = key.split("@");
    const med = (pick: (row: BenchRow) => number | undefined) =>
      quantile(
        group.map((row) => pick(row) ?? Number.NaN),
        0.5,
      );
    const mb = (n: number) => (Number.isFinite(n) ? (n / 1e6).toFixed(0) : "-");
    const g = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "-");
    const transfer = [
      ...new Set(group.map((row) => `${row.transfer ?? "?"}${row.postCopy ? " post-copy" : ""}`)),
    ].join(", ");
    lines.push(
      `| ${[
        config,
        r,
        stateMb,
        partitions,
        transfer,
        mb(med((row) => row.dumpBytes)),
        s(med((row) => row.checkpointPauseMs)),
        g(med((row) => gbps(row.dumpBytes, row.checkpointPauseMs))),
        mb(med((row) => row.imageBytes)),
        s(med((row) => row.transferMs)),
        g(med((row) => gbps(row.imageBytes, row.transferMs))),
        s(med((row) => row.phases.image)),
        s(med((row) => row.phases.restore)),
        s(
          med((row) =>
            row.firstRecordMs === undefined
              ? undefined
              : (row.phases.restore ?? Number.NaN) + row.firstRecordMs,
          ),
        ),
        s(med((row) => row.memoryMs)),
        rate(med((row) => row.replayPerSec)),
        rate(med((row) => row.inputPerSec)),
        s(med((row) => row.swapPauseMs)),
      ].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}
