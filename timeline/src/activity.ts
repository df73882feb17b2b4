import type { ProgressSample } from "./types.ts";

const partitionKey = (o: { topic: string; partition: number }) => `${o.topic}/${o.partition}`;

/** `instance@node`: one copy of the workload (an instance name can live on two nodes in turn). */
export const copyName = (place: { instance: string; node: string }) =>
  `${place.instance}@${place.node}`;

/**
 * Records one copy processed per bin, from its progress samples (in any order). Between two
 * samples, each partition's offset difference is what it processed, spread evenly over the
 * time between the answers; a partition first reported by the later sample counts nothing
 * (its earlier offset is unknown: a restored shadow reports the offsets it was dumped with).
 * A frozen copy answers only after its thaw, with the offsets it had before the freeze, so a
 * freeze shows as no activity rather than being smeared over.
 */
export function binActivity(
  samples: readonly ProgressSample[],
  axis: { start: number; end: number; binMs: number },
): number[] {
  const bins = Math.max(1, Math.ceil((axis.end - axis.start) / axis.binMs));
  const counts: number[] = new Array(bins).fill(0);
  const ordered = [...samples].sort((a, b) => a.at - b.at);
  for (let i = 1; i < ordered.length; i++) {
    const before = ordered[i - 1] as ProgressSample;
    const after = ordered[i] as ProgressSample;
    const had = new Map(before.offsets.map((o) => [partitionKey(o), o.offset]));
    let processed = 0;
    for (const o of after.offsets) {
      const was = had.get(partitionKey(o));
      if (was !== undefined) processed += Math.max(0, o.offset - was);
    }
    if (processed > 0) spread(counts, processed, before.at, after.at, axis);
  }
  return counts;
}

/** Adds `amount` to the bins over [from, to], in proportion to the overlap with each. */
function spread(
  counts: number[],
  amount: number,
  from: number,
  to: number,
  axis: { start: number; binMs: number },
): void {
  const last = counts.length - 1;
  const binOf = (t: number) =>
    Math.min(last, Math.max(0, Math.floor((t - axis.start) / axis.binMs)));
  if (to <= from) {
    counts[binOf(to)] = (counts[binOf(to)] ?? 0) + amount;
    return;
  }
  for (let b = binOf(from); b <= binOf(to); b++) {
    const binStart = axis.start + b * axis.binMs;
    const overlap = Math.min(to, binStart + axis.binMs) - Math.max(from, binStart);
    if (overlap > 0) counts[b] = (counts[b] ?? 0) + (amount * overlap) / (to - from);
  }
}
