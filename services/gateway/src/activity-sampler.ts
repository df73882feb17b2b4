import { lagBehindSource, statusBody } from "@shadow/contract";
import type { InstancePlace, MigrationProjection, MigrationView } from "@shadow/migration";
import type { Runtime } from "@shadow/runtime";
import { copyName, type MigrationSamples, type ProgressSample } from "@shadow/timeline";

/** The part of the contract's `/status` body a sample needs; the mode when the copy says it. */
const progressBody = statusBody
  .pick({ processed: true })
  .extend(statusBody.pick({ mode: true, inputReady: true }).partial().shape);

export interface ActivitySamplerOptions {
  projection: MigrationProjection;
  runtime: Pick<Runtime, "inspect">;
  intervalMs: number;
  /**
   * How long the copy that serves after the migration is still sampled: the picture's tail
   * (default 2 s; locating a copy that just started can take a runtime round trip or two).
   */
  tailMs?: number;
  /**
   * How long past its end a migration is still sampled while the copy serving after it has
   * not answered once (default 20 s): on a busy machine a copy that just started can take
   * longer than the tail to listen, and its picture would show no one serving after the end.
   */
  tailMaxMs?: number;
  /** Migrations whose samples are kept (the oldest go first). */
  keep?: number;
  now?: () => number;
}

interface Watch {
  view: MigrationView;
  samples: MigrationSamples;
  /** Sampling stops at this time (set when the migration ended)… */
  until?: number;
  /** …or at this one, when the copy serving after the end has not answered by then. */
  untilAtLatest?: number;
}

/**
 * Samples each running migration's copies (the handoff's two sides, then the copy serving
 * after it, for a short tail) for their progress every `intervalMs`, so the migration's
 * timeline can show each copy's records processed per bin and the shadow's lag as it shrank.
 *
 * Why here and not from the workload's outputs: the gateway knows a migration's copies (its
 * events name them) but not the workload's topics or output format, and a shadow publishes
 * nothing up to the source's cut, so its outputs would hide the replay the picture is for.
 * The status endpoint is the SDK's own contract (what restore-svc reads for the lag). Samples
 * are observations, not state: they live in memory, and a restarted gateway draws the
 * migrations it did not watch from their events alone. Start it once the projection has
 * caught up with the log: it watches the migrations that change from then on, not every
 * migration the log ever left running.
 */
export function startActivitySampler(o: ActivitySamplerOptions) {
  const now = o.now ?? Date.now;
  const watches = new Map<string, Watch>();
  const endpoints = new Map<string, { endpoint: string; at: number }>();
  const inFlight = new Set<string>();
  const keep = o.keep ?? 500;

  const unsubscribe = o.projection.subscribe((view) => {
    const watch = watches.get(view.migrationId);
    if (watch) {
      watch.view = view;
      if (view.status !== "running" && watch.until === undefined) {
        watch.until = now() + (o.tailMs ?? 2000);
        watch.untilAtLatest = Math.max(watch.until, now() + (o.tailMaxMs ?? 20_000));
      }
      return;
    }
    if (view.status !== "running") return;
    const started: Watch = { view, samples: { progress: [], lag: [] } };
    watches.set(view.migrationId, started);
    // At once, not at the next tick: a sequential migration's source is frozen and stopped
    // within a few hundred ms of its request, and would show no activity at all.
    void sample(started).catch(() => undefined);
    for (const id of [...watches.keys()].slice(0, Math.max(0, watches.size - keep)))
      watches.delete(id);
  });

  /**
   * The endpoint of this copy: the instance of that name on that node, from the moment the
   * runtime records it (a restored copy has its address while CRIU still restores it). Found
   * once, then asked directly: the copy's /status answers as soon as it listens, with no
   * runtime round trip per attempt (a `runc state` took up to 0.7 s on a busy machine, and a
   * sequential migration's new copy, running about a second before the end, went unsampled).
   */
  async function locate(place: InstancePlace): Promise<string | undefined> {
    const key = copyName(place);
    const known = endpoints.get(key);
    if (known?.endpoint) return known.endpoint;
    if (known && now() - known.at < 200) return undefined;
    const info = await o.runtime.inspect(place.instance).catch(() => undefined);
    const endpoint = info && info.node === place.node ? info.endpoint : "";
    endpoints.set(key, { endpoint, at: now() });
    return endpoint || undefined;
  }

  async function progressOf(place: InstancePlace): Promise<ProgressSample | undefined> {
    const key = copyName(place);
    // A frozen copy answers after its thaw: one request at a time, not a queue of them.
    if (inFlight.has(key)) return undefined;
    inFlight.add(key);
    try {
      const endpoint = await locate(place);
      if (!endpoint) return undefined;
      const res = await fetch(`http://${endpoint}/status`, { signal: AbortSignal.timeout(5000) });
      const body = progressBody.parse(await res.json());
      // A fenced or idle copy answers but consumes nothing: the timeline's stall reads this.
      const consuming =
        body.mode === undefined
          ? undefined
          : (body.mode === "primary" || body.mode === "shadow") && body.inputReady !== false;
      return {
        at: now(),
        instance: place.instance,
        node: place.node,
        offsets: body.processed,
        ...(consuming === undefined ? {} : { consuming }),
      };
    } catch {
      // Not listening yet: asked again at the same address next time. Still silent after 2 s,
      // it is looked up again (a pod made anew under its name gets a new address).
      if (now() - (endpoints.get(key)?.at ?? 0) > 2000) endpoints.delete(key);
      return undefined;
    } finally {
      inFlight.delete(key);
    }
  }

  async function sample(watch: Watch): Promise<void> {
    const { view, samples } = watch;
    const ended = watch.until !== undefined;
    const copies = ended ? [view.final ?? view.handoff.from] : [view.handoff.from, view.handoff.to];
    const [from, to] = await Promise.all(copies.map(progressOf));
    for (const s of [from, to]) if (s) samples.progress.push(s);
    if (!ended && from && to && (view.phase === "catch-up" || view.phase === "fence"))
      samples.lag.push({
        at: Math.max(from.at, to.at),
        round: view.handoff.round,
        records: lagBehindSource(from.offsets, to.offsets),
      });
  }

  /** Whether a migration that ended is done sampling: past its tail, with its last copy seen. */
  function tailOver(watch: Watch): boolean {
    if (watch.until === undefined || now() <= watch.until) return false;
    if (now() > (watch.untilAtLatest ?? watch.until)) return true;
    const last = watch.view.final ?? watch.view.handoff.from;
    const key = copyName(last);
    return watch.samples.progress.some((s) => copyName(s) === key);
  }

  const timer = setInterval(() => {
    for (const watch of watches.values()) {
      if (tailOver(watch)) continue;
      // A bound for a migration that never ends: about 80 minutes of two copies at 100 ms.
      if (watch.samples.progress.length > 100_000) continue;
      void sample(watch).catch(() => undefined);
    }
  }, o.intervalMs);
  timer.unref();

  return {
    /** What was sampled of this migration, or nothing when it was not watched. */
    samplesOf: (migrationId: string): MigrationSamples | undefined =>
      watches.get(migrationId)?.samples,
    stop(): void {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
