import type { MigrationView } from "@shadow/migration";
import { type ConsumingSince, copyOf, type Pause } from "@shadow/testkit";

/**
 * Each round's checkpoint freeze, as the checkpoint reported it: the verifier's pauses. Only
 * a ShadowPod's: its source is thawed and serves on, while sequential's is stopped by its
 * dump, and its freeze is the start of its downtime.
 */
export function freezesOf(migration: MigrationView): Pause[] {
  if (migration.strategy !== "shadow") return [];
  return migration.work.flatMap((w) =>
    w.frozenAt !== undefined && w.pauseMs !== undefined
      ? [{ from: Date.parse(w.frozenAt), to: Date.parse(w.frozenAt) + w.pauseMs }]
      : [],
  );
}

/**
 * Each round's shadow, consuming from when the catch-up watch first saw it process a record
 * (the catch-up's start plus its `firstRecordMs`), or from when it was reported caught up when
 * that is unknown. It publishes nothing up to the source's cut, so its outputs alone would
 * start its span late; and its caught-up time alone starts it late too: a source that then
 * processed nothing for 100 ms (slow, not down) read as 105 ms with no copy consuming, while
 * the shadow had been replaying for two seconds (seen in CI).
 */
export function shadowsConsumingOf(migration: MigrationView): ConsumingSince[] {
  return migration.work.flatMap((w) => {
    if (!w.shadow || !w.caughtUpAt) return [];
    const caughtUp = Date.parse(w.caughtUpAt);
    const watchedFrom = migration.phases.find(
      (p) => p.round === w.round && p.phase === "catch-up",
    )?.startedAt;
    const firstRecord =
      watchedFrom !== undefined && w.firstRecordMs !== undefined
        ? Date.parse(watchedFrom) + w.firstRecordMs
        : caughtUp;
    return [{ copy: copyOf(w.shadow), since: Math.min(caughtUp, firstRecord) }];
  });
}
