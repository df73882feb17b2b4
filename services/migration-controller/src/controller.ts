import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { SpanKind, trace } from "@opentelemetry/api";
import { MigrationRequested, type Publisher } from "@shadow/events";
import type { MigrationProjection } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { ClusterView } from "./decide.ts";
import { type DrainMigration, drainMigrations } from "./drain.ts";
import { cancelEventId, migrationIdFor, requestEventId } from "./ids.ts";
import type { Watches } from "./kube.ts";
import type { KubeEventSpec } from "./kube-events.ts";
import { type Plan, plan, type RequestData } from "./plan.ts";
import { keyOf, type MigrationObject, type MigrationStatus } from "./resource.ts";

/** The controller's writes to the API server (MigrationWriter; a fake in tests). */
export interface MigrationWrites {
  writeStatus(m: MigrationObject, status: MigrationStatus): Promise<MigrationObject>;
  writeFinalizers(m: MigrationObject, finalizers: string[]): Promise<MigrationObject>;
  recordEvent(m: MigrationObject, pod: V1Pod | undefined, event: KubeEventSpec): Promise<void>;
  /** Creates it unless a Migration of its name exists: resolves with which. */
  createMigration(m: DrainMigration): Promise<"created" | "exists">;
}

export interface ControllerDeps {
  watches: Watches;
  writes: MigrationWrites;
  projection: MigrationProjection;
  publisher: Pick<Publisher, "emit" | "publish" | "source">;
  namespace: string;
  traceUiUrl?: string;
  cancelGraceMs: number;
  logger: Logger;
  now(): Date;
}

const RESYNC_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
const tracer = trace.getTracer("@shadow/migration-controller");

/**
 * Reconciles Migration resources one at a time, from a queue fed by the informers (a Migration
 * created, changed or deleted), by the projection (its migration's view changed on the log) and
 * by a resync every 30 s. Each look is `plan` (pure), then its effects in order: finalizers,
 * the events on the log, the status, Kubernetes Events.
 */
export class MigrationController {
  readonly #deps: ControllerDeps;
  readonly #queue = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #failures = new Map<string, number>();
  /** The status this process wrote last, per Migration: newer than an informer may show yet. */
  readonly #written = new Map<string, MigrationStatus>();
  /** Which Migration a migration id belongs to. */
  readonly #keys = new Map<string, string>();
  #wake: (() => void) | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #resync: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
  }

  /** Starts the informers (resolving once each has listed) and the work loop. */
  async start(): Promise<void> {
    const { watches, projection } = this.#deps;
    const track = (m: MigrationObject) => {
      this.#keys.set(migrationIdFor(m.metadata.uid), keyOf(m));
      this.enqueue(keyOf(m));
    };
    watches.migrations.on("add", track);
    watches.migrations.on("update", track);
    watches.migrations.on("delete", (m) => {
      this.#keys.delete(migrationIdFor(m.metadata.uid));
      this.#written.delete(keyOf(m));
    });
    this.#unsubscribe = projection.subscribe((view) => {
      const key = this.#keys.get(view.migrationId);
      if (key) this.enqueue(key);
    });
    for (const [name, informer] of Object.entries(watches)) {
      // An informer whose watch failed stops; it lists and watches again after a pause.
      informer.on("error", (error: unknown) => {
        this.#deps.logger.warn({ err: error, informer: name }, "watch failed: restarting it");
        if (this.#running) setTimeout(() => void informer.start().catch(() => undefined), 2_000);
      });
    }
    // A cordoned node (`kubectl drain` cordons first) has its shadow pods migrated off it.
    watches.nodes.on("add", (node) => void this.drain(node));
    watches.nodes.on("update", (node) => void this.drain(node));
    this.#running = true;
    await Promise.all([watches.nodes.start(), watches.pods.start(), watches.migrations.start()]);
    this.#loop = this.#work();
    this.#resync = setInterval(() => {
      for (const m of watches.migrations.list()) this.enqueue(keyOf(m));
      for (const node of watches.nodes.list()) void this.drain(node);
    }, RESYNC_MS);
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#resync);
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#unsubscribe?.();
    this.#wake?.();
    await this.#loop;
    await Promise.all(Object.values(this.#deps.watches).map((w) => w.stop()));
  }

  enqueue(key: string, afterMs = 0): void {
    if (afterMs > 0) {
      if (this.#timers.has(key)) return;
      this.#timers.set(
        key,
        setTimeout(() => {
          this.#timers.delete(key);
          this.enqueue(key);
        }, afterMs),
      );
      return;
    }
    this.#queue.add(key);
    this.#wake?.();
  }

  async #work(): Promise<void> {
    while (this.#running) {
      const key = this.#queue.values().next().value;
      if (key === undefined) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      this.#queue.delete(key);
      try {
        const requeueMs = await this.reconcile(key);
        this.#failures.delete(key);
        if (requeueMs !== undefined) this.enqueue(key, requeueMs);
      } catch (error) {
        const failures = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, failures);
        const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (failures - 1));
        this.#deps.logger.warn(
          { err: error, migration: key, retryInMs: delay },
          "reconcile failed",
        );
        this.enqueue(key, delay);
      }
    }
  }

  /** One look at one Migration; resolves with when to look again, if it should be. */
  async reconcile(key: string): Promise<number | undefined> {
    const d = this.#deps;
    const [namespace, name] = key.split("/") as [string, string];
    let m = d.watches.migrations.get(name, namespace);
    if (!m) return undefined;
    const migrationId = migrationIdFor(m.metadata.uid);
    this.#keys.set(migrationId, key);
    const current = this.#written.get(key) ?? m.status;
    const cluster: ClusterView = {
      pod: (pod) => d.watches.pods.get(pod, d.namespace),
      nodes: () => d.watches.nodes.list(),
    };
    const p: Plan = plan({
      migration: m,
      view: d.projection.get(migrationId),
      current,
      cluster,
      namespace: d.namespace,
      now: d.now(),
      cancelGraceMs: d.cancelGraceMs,
      ...(d.traceUiUrl ? { traceUiUrl: d.traceUiUrl } : {}),
    });
    if (p.finalizers) m = await d.writes.writeFinalizers(m, p.finalizers);
    if (p.cancel) {
      await d.publisher.publish(p.cancel, {
        id: cancelEventId(d.publisher.source, m.metadata.uid),
      });
      d.logger.info(
        { migrationId, migration: key },
        "Migration deleted: rolling its migration back",
      );
    }
    if (p.request) {
      await this.#request(p.request, m.metadata.uid);
      d.logger.info(
        { migrationId, migration: key, workload: p.request.workload },
        "migration requested",
      );
    }
    if (p.status) {
      await d.writes.writeStatus(m, p.status);
      this.#written.set(key, p.status);
      if (p.status.phase === "Rejected" && !p.status.migrationId) {
        d.logger.info({ migration: key, reason: p.status.message }, "Migration refused");
      }
    }
    if (p.events.length > 0) {
      const podName = (m.spec as { pod?: unknown } | undefined)?.pod;
      const pod =
        typeof podName === "string" ? d.watches.pods.get(podName, d.namespace) : undefined;
      for (const event of p.events) {
        await d.writes.recordEvent(m, pod, event).catch((error: unknown) => {
          // An Event is for people to read; a missing one must not hold the migration up.
          d.logger.warn(
            { err: error, migration: key, reason: event.reason },
            "could not record an Event",
          );
        });
      }
    }
    return p.requeueMs;
  }

  /** The request is the root of the migration's one trace, as the gateway's requests are. */
  async #request(data: RequestData, uid: string): Promise<void> {
    const { publisher } = this.#deps;
    await tracer.startActiveSpan(
      "migration requested",
      {
        kind: SpanKind.PRODUCER,
        root: true,
        attributes: {
          "shadow.migration.id": data.migrationId,
          "shadow.workload": data.workload,
          "shadow.node.target": data.targetNode,
          "shadow.requested_by": "kubernetes",
        },
      },
      async (span) => {
        try {
          await publisher.emit(MigrationRequested, data, {
            id: requestEventId(publisher.source, uid),
          });
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * One Migration for each shadow pod on `node` if it is cordoned (see drain.ts). Creating one
   * that exists is refused by the API server, so a repeated look asks for nothing more.
   */
  async drain(node: V1Node): Promise<void> {
    const d = this.#deps;
    const wanted = drainMigrations(node, d.watches.pods.list(d.namespace), d.namespace);
    for (const m of wanted) {
      try {
        if ((await d.writes.createMigration(m)) === "created") {
          d.logger.info(
            { migration: `${m.metadata.namespace}/${m.metadata.name}`, pod: m.spec.pod },
            `node ${node.metadata?.name} is cordoned: migrating its pod off it`,
          );
        }
      } catch (error) {
        // The next resync looks again.
        d.logger.warn({ err: error, pod: m.spec.pod }, "could not create a drain Migration");
      }
    }
  }

  /** False once the loop stopped by itself (it never should while running). */
  alive(): boolean {
    return this.#running;
  }
}
