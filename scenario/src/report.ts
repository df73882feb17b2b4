import type { MigrationView } from "@shadow/migration";
import { traceLine } from "@shadow/otel/trace-link";
import type { VerifyReport } from "@shadow/testkit";
import type { Timeline } from "@shadow/timeline";
import type { ResolvedScenarioOptions } from "./options.ts";
import type { ServingDrain } from "./serving-drain.ts";
import { type LongestStall, placeOf } from "./stall.ts";
import type { ServingReport } from "./workload-probe.ts";

export interface ScenarioReport {
  options: ResolvedScenarioOptions;
  migration: MigrationView;
  /** The workload's instances right after the migration ended. */
  instancesAfter: { instance: string; node: string; state: string; mode: string }[];
  probe: ServingReport;
  verify: VerifyReport;
  /** The longest stretch in which input waited and nothing was processed: phase and cause. */
  stall: LongestStall;
  load: { sent: number; achievedRate: number };
  /** The wait for the serving primary to process every input before the outputs were read. */
  drain: ServingDrain;
  /** The run's topics (deleted at its end unless keepTopics). */
  topics: string[];
  traceLink?: string;
  /**
   * The migration on one time axis, as the gateway drew it from the events and from its
   * samples of the copies' progress (read after the cool-down, so it shows the serving copy
   * after the end too). Missing when the gateway could not answer.
   */
  timeline?: Timeline;
}

const ms = (n: number | undefined) => (n === undefined ? "-" : `${Math.round(n)} ms`);

/** A stall as one phrase: how long, where in the migration, and why. */
export function stallPhrase(s: LongestStall): string {
  if (s.ms <= 0) return "0 ms";
  return `${ms(s.ms)}${s.phase ? ` in ${s.phase}` : ""} (${s.cause})`;
}

/**
 * Downtime keeps the design's definition (no copy serving); beside it stands the longest stall,
 * so a workload up but processing nothing for seconds never reads as "downtime 0 ms" alone.
 */
function headline(r: ScenarioReport): string {
  const downtime = Math.max(r.probe.longestOutageMs, r.verify.downtime.longest.ms);
  return `downtime ${ms(downtime)}, longest stall ${stallPhrase(r.stall)}`;
}

/**
 * Where the message-level downtime lay: its place in the migration, and the consuming spans
 * of the copies on either side (the one that stopped before it, the one that began after it).
 */
function messageDowntimeAt(r: ScenarioReport): string {
  const { longest, spans } = r.verify.downtime;
  const before = spans.filter((s) => s.to <= longest.to).sort((a, b) => b.to - a.to)[0];
  const after = spans.filter((s) => s.from >= longest.from).sort((a, b) => a.from - b.from)[0];
  const span = (s: (typeof spans)[number] | undefined) =>
    s ? `${s.copy} ${new Date(s.from).toISOString()}..${new Date(s.to).toISOString()}` : "none";
  return `from ${new Date(longest.from).toISOString()} in ${placeOf(r.migration, longest.from) ?? "-"}: last consuming before ${span(before)}, next ${span(after)}`;
}

/** The report a person reads after a migration: phases, downtime, loss, duplicates, trace. */
export function formatReport(r: ScenarioReport): string {
  const m = r.migration;
  const v = r.verify;
  const lines = [
    `migration ${m.migrationId}: ${m.workload} ${m.source.node} → ${m.targetNode}, ${m.strategy}${m.identitySwap ? " + identity swap" : ""}: ${m.status}`,
    headline(r),
    `load: ${r.load.sent} messages at ${r.load.achievedRate.toFixed(1)} msg/s over ${r.options.partitions} partitions, ${r.options.costMs} ms each`,
    "",
    "phase timings:",
    ...m.phases.map(
      (p) =>
        `  round ${p.round}  ${p.phase.padEnd(9)} ${ms(p.ms).padStart(9)}${p.failed ? "  failed" : ""}`,
    ),
    `  total            ${ms(m.totalMs).padStart(9)}`,
    "",
    `checkpoint pause (source frozen)   ${ms(m.checkpointPauseMs)}`,
    `handover (source paused → shadow past the cut)   ${ms(m.handoverMs)}`,
    `lag behind the source at the fence  ${m.lagBehindSource === undefined ? "-" : m.lagBehindSource} record${m.lagBehindSource === 1 ? "" : "s"}`,
    ...fenceCostLines(m),
    "",
    `downtime, HTTP probe every 10 ms    ${ms(r.probe.longestOutageMs)} (${r.probe.failures} of ${r.probe.probes} probe rounds unanswered; slowest answer ${ms(r.probe.slowestAnswerMs)})`,
    ...(r.probe.longestOutage
      ? [
          `  longest outage ${new Date(r.probe.longestOutage.from).toISOString()}: ${r.probe.longestOutage.why.join("; ")}`,
        ]
      : []),
    `downtime, message level            ${ms(v.downtime.longest.ms)} (input waiting while no copy was consuming, checkpoint freeze left out)`,
    ...(v.downtime.longest.ms > 0 ? [`  ${messageDowntimeAt(r)}`] : []),
    `longest processing gap              ${ms(v.processingGap.beyondSteadyMs)} beyond the steady p99, ${ms(v.processingGap.beyondSteadyLongestMs)} beyond the steady longest (input waiting, nothing processed: ${ms(v.processingGap.longest.ms)} at most, checkpoint freeze left out)`,
    `longest output stall               ${ms(v.stall.beyondSteadyMs)} beyond steady state (input waiting, no output: ${ms(v.stall.longest.ms)} at most, freeze and handover in)`,
    `max extra delay                     ${ms(v.maxExtraDelayMs)} beyond steady p99 ${ms(v.steadyP99Ms)}`,
    `latency p50/p99 before ${ms(v.latency.before?.p50)}/${ms(v.latency.before?.p99)}, during ${ms(v.latency.during?.p50)}/${ms(v.latency.during?.p99)}, after ${ms(v.latency.after?.p50)}/${ms(v.latency.after?.p99)}`,
    "",
    `lost ${v.lost.count}, duplicated ${v.duplicated.count}, reordered ${v.reordered.count}, dead letters ${v.deadLetters.count} (expected ${v.deadLetters.expected})`,
    `balances wrong ${v.balances.wrong}; outSeq given twice ${v.outSeq.repeated}, skipped ${v.outSeq.skipped}, inconsistent ${v.outSeq.inconsistent}`,
    `outputs by instance: ${Object.entries(v.byInstance)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")}`,
  ];
  if (m.failure) lines.push(`failure: ${m.failure.step}: ${m.failure.reason}`);
  if (m.swapFailure) lines.push(`moved, name not restored: ${m.swapFailure}`);
  if (r.traceLink) lines.push(`trace: ${r.traceLink}`);
  else if (m.traceId)
    lines.push(
      `trace: ${traceLine(undefined, { traceId: m.traceId, migrationId: m.migrationId })}`,
    );
  return lines.join("\n");
}

/** Why the fence went ahead when it did: its estimated cost, and whether a stalled lag forced it. */
function fenceCostLines(m: ScenarioReport["migration"]): string[] {
  return m.work
    .filter((w) => w.fenceEstimateMs !== undefined)
    .map(
      (w) =>
        `round ${w.round} fence cost          ${ms(w.fenceEstimateMs)} estimated (budget ${ms(w.fenceBudgetMs)})${w.forcedFence ? ": the lag had stopped shrinking, fenced anyway at that extra delay" : ""}`,
    );
}
