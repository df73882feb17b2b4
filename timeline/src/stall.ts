import { copyName } from "./activity.ts";
import type { ProgressSample, Timeline, TimelineStall } from "./types.ts";

type Parts = Pick<Timeline, "phases" | "freezes" | "fences" | "outage" | "end">;

/** Where `at` lies among the phases: `1 fence +12 ms`, or before/after them. */
function phaseAt(phases: Timeline["phases"], at: number, end: number): string {
  for (const p of phases) {
    const to = p.to ?? end;
    if (at >= p.from && at < to) return `${p.round} ${p.phase} +${Math.round(at - p.from)} ms`;
  }
  const last = Math.max(...phases.map((p) => p.to ?? end));
  return at >= last ? `after +${Math.round(at - last)} ms` : "before the first phase";
}

/**
 * Stretches in which every copy sampled so far said it consumed nothing (fenced, idle, or its
 * input not ready), by each copy's latest sample: a fenced or paused copy is not consuming.
 */
export function unconsumedStretches(progress: ProgressSample[]): { from: number; to: number }[] {
  const latest = new Map<string, boolean>();
  const stretches: { from: number; to: number }[] = [];
  let since: number | undefined;
  for (const s of [...progress].sort((a, b) => a.at - b.at)) {
    if (s.consuming === undefined) continue;
    latest.set(copyName(s), s.consuming);
    const none = [...latest.values()].every((c) => !c);
    if (none) since ??= s.at;
    else if (since !== undefined) {
      stretches.push({ from: since, to: s.at });
      since = undefined;
    }
  }
  return stretches;
}

/**
 * The longest stall the migration's own records show, beside its downtime: the checkpoint's
 * freeze, the handover, a sequential migration's outage, or a sampled stretch in which no copy
 * consumed, with the phase it began in and that cause. Input waiting is not known here (the
 * gateway reads no input topic), so a stretch counts only where no copy could have consumed.
 */
export function longestStall(parts: Parts, progress: ProgressSample[]): TimelineStall | undefined {
  const candidates: { from: number; to: number; cause: string }[] = [
    ...parts.freezes.map((f) => ({
      from: f.at,
      to: f.at + f.ms,
      cause: `${f.copy} frozen for its checkpoint`,
    })),
    ...parts.fences.flatMap((f) =>
      f.handoverMs !== undefined && f.completedAt !== undefined
        ? [
            {
              from: f.completedAt - f.handoverMs,
              to: f.completedAt,
              cause: `handover: ${f.from} paused at its cut until ${f.to} passed it`,
            },
          ]
        : [],
    ),
    ...(parts.outage
      ? [{ from: parts.outage.from, to: parts.outage.to ?? parts.end, cause: "no copy served" }]
      : []),
    ...unconsumedStretches(progress).map((s) => ({
      ...s,
      cause: "no copy consuming: every copy fenced, idle or its input not ready",
    })),
  ];
  const longest = candidates.reduce<(typeof candidates)[number] | undefined>(
    (a, b) => (!a || b.to - b.from > a.to - a.from ? b : a),
    undefined,
  );
  if (!longest || longest.to <= longest.from) return undefined;
  return {
    ms: longest.to - longest.from,
    from: longest.from,
    to: longest.to,
    phase: phaseAt(parts.phases, longest.from, parts.end),
    cause: longest.cause,
  };
}
