import type { Condition } from "../policy/conditions.ts";

/**
 * Which conditions to announce (as NodePressureDetected) after a look: those that began, those
 * whose node just saw a migration off it end (a drain goes on at once, one after the other),
 * and every other one again once `resyncMs` has passed since it was last announced, so that
 * what could not move before (no target, budget full) is decided again, as a controller's
 * resync does.
 */
export function toAnnounce(
  active: readonly Condition[],
  lastAnnounced: ReadonlyMap<string, number>,
  nudged: ReadonlySet<string>,
  now: number,
  resyncMs: number,
): Condition[] {
  return active.filter((c) => {
    const last = lastAnnounced.get(keyOf(c));
    return last === undefined || nudged.has(c.node) || now - last >= resyncMs;
  });
}

export function keyOf(c: Pick<Condition, "node" | "kind">): string {
  return `${c.node}/${c.kind}`;
}
