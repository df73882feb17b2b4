import type { MigrationView } from "@shadow/migration";
import { traceLine } from "@shadow/otel/trace-link";
import type { TimelineStall } from "@shadow/timeline";

const ms = (n: number | undefined) =>
  n === undefined ? "-" : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`;

const records = (n: number) => `${n} record${n === 1 ? "" : "s"}`;

/** A migration as lines a person can follow: status, every phase with its time, the figures. */
export function formatView(
  view: MigrationView,
  traceUiUrl?: string,
  now = Date.now(),
  stall?: TimelineStall,
): string {
  const lines = [
    `migration ${view.migrationId}: ${view.workload} ${view.source.node} → ${view.targetNode} (${view.strategy}${view.nameRestore ? ", name restore" : view.identitySwap ? ", identity swap" : ""})`,
    `status    ${view.status}${view.phase === "done" ? "" : `, round ${view.round}, phase ${view.phase}`}`,
  ];
  for (const p of view.phases) {
    const mark = p.failed ? "✗" : p.endedAt ? "✓" : "…";
    const time = p.failed ? `failed after ${ms(p.ms)}` : p.endedAt ? ms(p.ms) : "running";
    lines.push(`  ${mark} round ${p.round} ${p.phase.padEnd(10)} ${time}`);
  }
  if (view.checkpointPauseMs !== undefined)
    lines.push(`checkpoint pause  ${ms(view.checkpointPauseMs)}`);
  if (view.liveLag && view.phase === "catch-up")
    lines.push(`lag now           ${records(view.liveLag.records)} behind the source`);
  if (view.lagBehindSource !== undefined)
    lines.push(`lag at fence      ${records(view.lagBehindSource)}`);
  if (view.handoverMs !== undefined) lines.push(`handover          ${ms(view.handoverMs)}`);
  lines.push(downtimeLine(view, now));
  // Beside downtime, so a workload up but stalled (fenced, handing over) never reads as 0 alone.
  if (stall) lines.push(`longest stall     ${ms(stall.ms)} in ${stall.phase} (${stall.cause})`);
  if (view.totalMs !== undefined) lines.push(`total             ${ms(view.totalMs)}`);
  if (view.final) lines.push(`now serving       ${view.final.instance} on ${view.final.node}`);
  if (view.swapFailure)
    lines.push(
      `moved, name not restored: the identity swap could not complete (${view.swapFailure}); finish it with: shadow migrate ${view.workload} --restore-name`,
    );
  if (view.failure)
    lines.push(`failed at ${view.failure.step}: ${view.failure.reason} (${view.failure.code})`);
  if (view.rollback)
    lines.push(
      view.rollback.serving
        ? `rolled back: ${view.rollback.serving.instance} on ${view.rollback.serving.node} kept serving`
        : "rolled back: no copy of the workload was found serving",
    );
  if (view.rejection) lines.push(`refused: ${view.rejection.reason} (${view.rejection.code})`);
  if (view.traceId)
    lines.push(
      `trace             ${traceLine(traceUiUrl, { traceId: view.traceId, migrationId: view.migrationId })}`,
    );
  return lines.join("\n");
}

/**
 * Downtime so far as the events show it: how long no copy of the workload has served. A
 * ShadowPod source serves throughout (its freeze is the pause above); a sequential one is down
 * from its checkpoint until its copy runs.
 */
function downtimeLine(view: MigrationView, now: number): string {
  const o = view.outage;
  if (!o) {
    if (view.phase === "done") return "downtime          0 ms (a copy served throughout)";
    const why =
      view.strategy === "shadow"
        ? "a copy serves throughout"
        : "the source serves until its checkpoint";
    return `downtime so far   0 ms (${why})`;
  }
  if (o.ms !== undefined) return `downtime          ${ms(o.ms)} (no copy served)`;
  return `downtime so far   ${ms(Math.max(0, now - Date.parse(o.startedAt)))} (no copy serving since the checkpoint)`;
}

export { ms as formatMs };
