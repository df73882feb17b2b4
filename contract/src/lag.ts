import type { PartitionOffset } from "./names.ts";

/**
 * How far a shadow is behind its source, summed over partitions: for each of the source's
 * positions, the records it processed that the shadow has not. Relative to the source, not
 * the log end: under overload both carry the same backlog and only the difference delays the
 * handover. A partition the shadow has not reported counts as fully behind; a partition where
 * the shadow is ahead counts as 0.
 *
 * @example
 * const at = (offset: number) => [{ topic: "in", partition: 0, offset }];
 * lagBehindSource(at(9), at(7)); // 2
 */
export function lagBehindSource(
  source: readonly PartitionOffset[],
  shadow: readonly PartitionOffset[],
): number {
  const key = (o: { topic: string; partition: number }) => `${o.topic}/${o.partition}`;
  const shadowAt = new Map(shadow.map((o) => [key(o), o.offset]));
  let lag = 0;
  for (const s of source) {
    const at = shadowAt.get(key(s)) ?? -1;
    lag += Math.max(0, s.offset - at);
  }
  return lag;
}
