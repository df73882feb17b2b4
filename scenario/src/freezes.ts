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
 * Each round's shadow, consuming from when it was reported caught up at the latest: it
 * publishes nothing up to the source's cut, so its outputs alone would start its span late.
 */
export function shadowsConsumingOf(migration: MigrationView): ConsumingSince[] {
  return migration.work.flatMap((w) =>
    w.shadow && w.caughtUpAt ? [{ copy: copyOf(w.shadow), since: Date.parse(w.caughtUpAt) }] : [],
  );
}
