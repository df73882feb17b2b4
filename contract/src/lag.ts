import type { InstanceProgress } from "./instance-progress.ts";

/**
 * How far the shadow is behind the source, summed over partitions. Relative to the source,
 * not the log end: under overload both carry the same backlog and only the difference delays
 * the handover. A partition the shadow has not reported yet counts as fully behind.
 */
export function lagBehindSource(source: InstanceProgress, shadow: InstanceProgress): number {
  const key = (o: { topic: string; partition: number }) => `${o.topic}/${o.partition}`;
  const shadowAt = new Map(shadow.offsets.map((o) => [key(o), o.offset]));
  let lag = 0;
  for (const s of source.offsets) {
    const at = shadowAt.get(key(s)) ?? -1;
    lag += Math.max(0, s.offset - at);
  }
  return lag;
}
