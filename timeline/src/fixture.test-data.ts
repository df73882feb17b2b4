import type { MigrationView } from "@shadow/migration";
import type { MigrationSamples, ProgressSample } from "./types.ts";

/** A ShadowPod migration of one round, as the gateway folds it; times from t0. */
export const t0 = Date.parse("2026-12-06T10:00:00.000Z");
const iso = (ms: number) => new Date(t0 + ms).toISOString();
const place = (instance: string, node: string) => ({ instance, node });

export const view: MigrationView = {
  migrationId: "mig-1",
  workload: "orders-0",
  strategy: "shadow",
  identitySwap: false,
  source: place("orders-0", "node-a"),
  targetNode: "node-b",
  status: "completed",
  round: 1,
  phase: "done",
  phases: [
    { round: 1, phase: "checkpoint", startedAt: iso(0), endedAt: iso(300), ms: 300 },
    { round: 1, phase: "image", startedAt: iso(300), endedAt: iso(1900), ms: 1600 },
    { round: 1, phase: "restore", startedAt: iso(1900), endedAt: iso(2300), ms: 400 },
    { round: 1, phase: "catch-up", startedAt: iso(2300), endedAt: iso(2800), ms: 500 },
    { round: 1, phase: "fence", startedAt: iso(2800), endedAt: iso(2950), ms: 150 },
    { round: 1, phase: "drain", startedAt: iso(2950), endedAt: iso(3200), ms: 250 },
  ],
  requestedAt: iso(0),
  updatedAt: iso(3200),
  handoff: {
    round: 1,
    from: place("orders-0", "node-a"),
    to: place("orders-0-shadow-1", "node-b"),
  },
  work: [
    {
      round: 1,
      dumpMs: 230,
      pauseMs: 250,
      frozenAt: iso(100),
      shadow: place("orders-0-shadow-1", "node-b"),
      caughtUpAt: iso(2800),
      lagBehindSource: 2,
      handoverMs: 11,
    },
  ],
  lagBehindSource: 2,
  checkpointPauseMs: 250,
  handoverMs: 11,
  totalMs: 3200,
  final: place("orders-0-shadow-1", "node-b"),
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
};

/**
 * The source processes 6 records per 100 ms but in its freeze, until the fence;
 * the shadow replays fast from its restore, then serves from the fence on.
 */
export function samples(): MigrationSamples {
  const progress: ProgressSample[] = [];
  let source = 1000;
  let shadow = -1;
  for (let ms = 0; ms <= 3600; ms += 100) {
    // Frozen from 100 to 350 ms: the requests made then are answered at the thaw, as before it.
    if (ms === 200 || ms === 300) continue;
    if (ms <= 2900) source += 6;
    if (ms === 400)
      progress.push({
        at: t0 + 355,
        instance: "orders-0",
        node: "node-a",
        offsets: [{ topic: "in", partition: 0, offset: source - 6 }],
      });
    progress.push({
      at: t0 + ms + 5,
      instance: "orders-0",
      node: "node-a",
      offsets: [{ topic: "in", partition: 0, offset: source }],
    });
    if (ms >= 2300) {
      shadow = shadow < 0 ? 1012 : Math.min(ms >= 2950 ? shadow + 6 : source, shadow + 40);
      progress.push({
        at: t0 + ms + 7,
        instance: "orders-0-shadow-1",
        node: "node-b",
        offsets: [{ topic: "in", partition: 0, offset: shadow }],
      });
    }
  }
  const lag = [2300, 2400, 2500, 2600, 2700].map((ms, i) => ({
    at: t0 + ms + 8,
    round: 1 as const,
    records: [190, 150, 110, 70, 30][i] as number,
  }));
  return { progress, lag };
}
