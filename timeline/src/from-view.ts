import type { InstancePlace, MigrationView } from "@shadow/migration";
import { binActivity, copyName } from "./activity.ts";
import type { CopyActivity, MigrationSamples, Timeline } from "./types.ts";

const time = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

/** What each copy was in the migration, in the order they appeared. */
function rolesOf(view: MigrationView): Map<string, string> {
  const roles = new Map<string, string>();
  const add = (place: InstancePlace | undefined, role: string) => {
    if (place && !roles.has(copyName(place))) roles.set(copyName(place), role);
  };
  add(view.source, "source");
  const roundTarget = (round: 1 | 2) =>
    round === 2 ? "round-2 target" : view.strategy === "shadow" ? "shadow" : "restored copy";
  for (const w of [...view.work].sort((a, b) => a.round - b.round))
    add(w.shadow, roundTarget(w.round));
  add(view.handoff.to, roundTarget(view.handoff.round));
  add(view.final, "serving after");
  return roles;
}

/**
 * A migration on one time axis, from its view (the fold of its events: phases, freezes,
 * fence, handover, lag at the caught-up report) and what was sampled while it ran (each
 * copy's progress, the live lag). Pure: the same view and samples give the same timeline.
 */
export function timelineOf(
  view: MigrationView,
  samples: MigrationSamples = { progress: [], lag: [] },
  options: { binMs?: number; now?: number } = {},
): Timeline {
  const binMs = options.binMs ?? 100;
  const start = Date.parse(view.requestedAt);
  const ends = [
    time(view.updatedAt),
    ...view.phases.flatMap((p) => [time(p.startedAt), time(p.endedAt)]),
    ...samples.progress.map((s) => s.at),
    ...samples.lag.map((l) => l.at),
    view.status === "running" ? options.now : undefined,
  ].filter((t): t is number => t !== undefined && Number.isFinite(t));
  const end = Math.max(start + binMs, ...ends);
  const axis = { start, end, binMs };

  const roles = rolesOf(view);
  const byCopy = new Map<string, MigrationSamples["progress"]>();
  for (const s of samples.progress) {
    const list = byCopy.get(copyName(s)) ?? [];
    list.push(s);
    byCopy.set(copyName(s), list);
  }
  const copies = [...new Set([...roles.keys(), ...byCopy.keys()])];
  const activity: CopyActivity[] = copies.flatMap((copy) => {
    const own = byCopy.get(copy);
    if (!own || own.length === 0) return [];
    const first = own[0] as (typeof own)[number];
    const counts = binActivity(own, axis).map((n) => Math.round(n * 10) / 10);
    return [
      {
        copy,
        instance: first.instance,
        node: first.node,
        role: roles.get(copy) ?? "",
        counts,
        total: Math.round(counts.reduce((a, b) => a + b, 0)),
      },
    ];
  });

  const rounds = [...view.work].sort((a, b) => a.round - b.round);
  const fromOf = (round: 1 | 2) =>
    round === 1 ? view.source : (rounds.find((w) => w.round === 1)?.shadow ?? view.handoff.from);
  const toOf = (round: 1 | 2) =>
    rounds.find((w) => w.round === round)?.shadow ??
    (view.handoff.round === round ? view.handoff.to : (view.final ?? view.handoff.to));
  const onlyRound = rounds.length <= 1;
  const fenceEnd = (round: 1 | 2) =>
    time(view.phases.find((p) => p.round === round && p.phase === "fence")?.endedAt);

  return {
    migrationId: view.migrationId,
    workload: view.workload,
    strategy: view.strategy,
    identitySwap: view.identitySwap,
    status: view.status,
    sourceNode: view.source.node,
    targetNode: view.targetNode,
    start,
    end,
    binMs,
    phases: view.phases.map((p) => ({
      round: p.round,
      phase: p.phase,
      from: Date.parse(p.startedAt),
      ...(p.endedAt ? { to: Date.parse(p.endedAt) } : {}),
      ...(p.failed ? { failed: true } : {}),
    })),
    freezes: rounds.flatMap((w) =>
      w.frozenAt !== undefined && w.pauseMs !== undefined
        ? [
            {
              round: w.round,
              copy: copyName(fromOf(w.round)),
              at: Date.parse(w.frozenAt),
              ms: w.pauseMs,
            },
          ]
        : [],
    ),
    fences: rounds.flatMap((w) => {
      const caughtUpAt = time(w.caughtUpAt);
      const completedAt = fenceEnd(w.round);
      if (caughtUpAt === undefined && completedAt === undefined) return [];
      const lag = w.lagBehindSource ?? (onlyRound ? view.lagBehindSource : undefined);
      const handoverMs = w.handoverMs ?? (onlyRound ? view.handoverMs : undefined);
      return [
        {
          round: w.round,
          ...(caughtUpAt !== undefined ? { caughtUpAt } : {}),
          ...(lag !== undefined ? { lagAtCaughtUp: lag } : {}),
          ...(completedAt !== undefined ? { completedAt } : {}),
          ...(handoverMs !== undefined && completedAt !== undefined ? { handoverMs } : {}),
          from: copyName(fromOf(w.round)),
          to: copyName(toOf(w.round)),
        },
      ];
    }),
    ...(view.outage
      ? {
          outage: {
            from: Date.parse(view.outage.startedAt),
            ...(view.outage.endedAt ? { to: Date.parse(view.outage.endedAt) } : {}),
          },
        }
      : {}),
    activity,
    lag: [...samples.lag].sort((a, b) => a.at - b.at),
    sampled: samples.progress.length > 0,
  };
}
