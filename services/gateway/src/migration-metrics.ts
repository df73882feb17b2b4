import type { Meter } from "@opentelemetry/api";
import type { MigrationProjection } from "@shadow/migration";

/**
 * Migration metrics for Prometheus, from the projection: every phase that ends is one
 * observation of `shadow.migration.phase.duration`, every migration that ends one count of
 * `shadow.migrations` by outcome. The gateway folds the whole log at start, so after a restart
 * the figures cover every migration the log holds, not only those since.
 */
export function recordMigrationMetrics(projection: MigrationProjection, meter: Meter): () => void {
  const phaseDuration = meter.createHistogram("shadow.migration.phase.duration", {
    description: "How long each phase of a migration took",
    unit: "ms",
  });
  const migrations = meter.createCounter("shadow.migrations", {
    description: "Migrations that ended, by outcome and strategy",
  });
  const seen = new Set<string>();
  return projection.subscribe((view) => {
    for (const p of view.phases) {
      const key = `${view.migrationId}/${p.round}/${p.phase}`;
      if (p.ms === undefined || seen.has(key)) continue;
      seen.add(key);
      phaseDuration.record(p.ms, { phase: p.phase, round: p.round, strategy: view.strategy });
    }
    const ended = view.status === "completed" || view.status === "rolled-back";
    if (ended && !seen.has(view.migrationId)) {
      seen.add(view.migrationId);
      migrations.add(1, { outcome: view.status, strategy: view.strategy });
    }
  });
}
