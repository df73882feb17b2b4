import type { MigrationView } from "@shadow/migration";
import type { IdleWindow, Pause, Stretch } from "@shadow/testkit";

/**
 * The longest stall of a run beside its downtime: the longest stretch in which input waited and
 * no copy processed any (the checkpoint's freeze left out, since it is the pause reported on its
 * own), where in the migration it began, and what caused it as far as the run can tell.
 */
export interface LongestStall {
  ms: number;
  from: number;
  to: number;
  /** e.g. `1 fence +12 ms`, `after +3000 ms`. */
  phase?: string;
  cause: string;
}

/**
 * The phase a moment of the migration fell in, e.g. `1 catch-up +312 ms`; outside them,
 * `before -800 ms` (to the first phase's start) or `after +2400 ms` (from the last one's end).
 */
export function placeOf(migration: MigrationView, at: number | undefined): string | undefined {
  if (at === undefined) return undefined;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of migration.phases) {
    const from = Date.parse(p.startedAt);
    const to = p.endedAt ? Date.parse(p.endedAt) : Number.POSITIVE_INFINITY;
    if (at >= from && at < to) return `${p.round} ${p.phase} +${Math.round(at - from)} ms`;
    first = Math.min(first, from);
    last = Math.max(last, to);
  }
  if (at < first) return `before -${Math.round(first - at)} ms`;
  if (at >= last && Number.isFinite(last)) return `after +${Math.round(at - last)} ms`;
  return undefined;
}

/** Each round's handover: the source paused at its cut until the shadow was past it. */
export function handoversOf(migration: MigrationView): Pause[] {
  return migration.work.flatMap((w) => {
    const fence = migration.phases.find((p) => p.round === w.round && p.phase === "fence");
    if (w.handoverMs === undefined || !fence?.endedAt) return [];
    const to = Date.parse(fence.endedAt);
    return [{ from: to - w.handoverMs, to }];
  });
}

/**
 * Each round whose source was found gone: from the start of the phase it was found in (its
 * catch-up, or its fence) until the shadow passed the cut given on its behalf. When the source
 * died in there is unknown; nothing processed the input from then until the failover.
 */
export function failoversOf(migration: MigrationView): Pause[] {
  return migration.work.flatMap((w) => {
    if (w.sourceLostAt === undefined) return [];
    const lost = Date.parse(w.sourceLostAt);
    const phases = migration.phases.filter((p) => p.round === w.round);
    const found = phases.find(
      (p) => Date.parse(p.startedAt) <= lost && (!p.endedAt || lost <= Date.parse(p.endedAt)),
    );
    const fence = phases.find((p) => p.phase === "fence");
    if (!found) return [];
    return [
      {
        from: Date.parse(found.startedAt),
        to: fence?.endedAt ? Date.parse(fence.endedAt) : Number.POSITIVE_INFINITY,
      },
    ];
  });
}

const overlap = (from: number, to: number, windows: { from: number; to: number }[]) =>
  windows.reduce((sum, w) => sum + Math.max(0, Math.min(to, w.to) - Math.max(from, w.from)), 0);

export interface StallEvidence {
  migration: MigrationView;
  freezes: Pause[];
  /** Copies that answered but said they consumed nothing. */
  idle: IdleWindow[];
  /** The health probe's longest streak with no copy answering. */
  outage?: { from: number; to: number };
}

/**
 * Names the cause that covers most of the stall: the freeze, the handover, a fenced or idle
 * copy, no copy answering; when none covers half of it, every copy that was asked was up and
 * consuming, and the wait lay in the broker, the machine or the workload itself.
 */
export function longestStallOf(gap: Stretch, e: StallEvidence): LongestStall {
  const { from, to } = gap;
  const ms = gap.ms;
  const phase = ms > 0 ? placeOf(e.migration, from) : undefined;
  const base = { ms, from, to, ...(phase ? { phase } : {}) };
  if (ms <= 0) return { ...base, cause: "none" };
  const idleCopies = [
    ...new Set(e.idle.filter((w) => overlap(from, to, [w]) > 0).map((w) => w.copy)),
  ];
  const candidates: [number, string][] = [
    [overlap(from, to, e.freezes), "the source frozen for its checkpoint"],
    [
      overlap(from, to, handoversOf(e.migration)),
      "the handover: the source paused at its cut until the shadow passed it",
    ],
    // A source fenced during the handover is the handover, not a stall of its own.
    [
      Math.max(0, overlap(from, to, e.idle) - overlap(from, to, handoversOf(e.migration))),
      `fenced or idle, consuming nothing: ${idleCopies.join(", ")}`,
    ],
    [e.outage ? overlap(from, to, [e.outage]) : 0, "no copy answered its health probe"],
    [
      overlap(from, to, failoversOf(e.migration)),
      "the source died: its shadow took over from the source's committed progress (failover)",
    ],
  ];
  const [covered, cause] = candidates.reduce((a, b) => (b[0] > a[0] ? b : a));
  if (covered * 2 >= to - from) return { ...base, cause };
  return {
    ...base,
    cause: "a copy was up and consuming but processed nothing (broker, machine or workload slow)",
  };
}
