import type { MigrationRequested, migrationStep, OutgoingEvent } from "@shadow/events";
import { failed, type MigrationView } from "@shadow/migration";
import type { z } from "zod";
import { type ClusterView, decide } from "./decide.ts";
import { migrationIdFor } from "./ids.ts";
import { eventsBetween, type KubeEventSpec } from "./kube-events.ts";
import {
  isFinal,
  type MigrationObject,
  type MigrationStatus,
  migrationSpec,
  ROLLBACK_FINALIZER,
} from "./resource.ts";
import { statusFromView } from "./status.ts";

export type RequestData = z.input<typeof MigrationRequested.schema>;

/** What one look at a Migration asks to be done, in this order. */
export interface Plan {
  /** The finalizers the object must carry (only when they change). */
  finalizers?: string[];
  /** A MigrationFailed that rolls the migration back: its Migration was deleted. */
  cancel?: OutgoingEvent;
  /** The migration to ask for. */
  request?: RequestData;
  /** The status to write (only when it changes). */
  status?: MigrationStatus;
  /** Events to record on the Migration and its pod. */
  events: KubeEventSpec[];
  /** Look again after this long (a deletion waiting for its rollback, a request for its view). */
  requeueMs?: number;
}

export interface PlanInput {
  migration: MigrationObject;
  /** Its migration's view, if the log holds it yet. */
  view: MigrationView | undefined;
  /** The status last written (the object's, unless this process wrote a newer one). */
  current: MigrationStatus | undefined;
  cluster: ClusterView;
  /** The namespace whose pods shadow migrates. */
  namespace: string;
  now: Date;
  traceUiUrl?: string;
  /** How long a deleted Migration waits for its rollback before it is let go regardless. */
  cancelGraceMs: number;
}

/** The reason a MigrationFailed gives when its Migration was deleted. */
export class MigrationCancelled extends Error {
  readonly code = "CANCELLED";
  constructor(
    readonly migrationId: string,
    resource: string,
  ) {
    super(`the Migration ${resource} was deleted while its migration ran: rolling back`);
    this.name = "MigrationCancelled";
  }
}

const RECHECK_MS = 2_000;
const finalStatuses: ReadonlySet<string> = new Set(["completed", "rolled-back", "rejected"]);

/**
 * The controller's one decision, a pure function of a Migration, its migration's view on the
 * log and the cluster: ask for the migration (once: its id comes from the object's uid), mirror
 * its view into the status, turn a delete into a rollback, or refuse it with a message and
 * nothing else.
 */
export function plan(input: PlanInput): Plan {
  const { migration: m, view, current } = input;
  const finalizers = m.metadata.finalizers ?? [];
  const guarded = finalizers.includes(ROLLBACK_FINALIZER);
  const without = finalizers.filter((f) => f !== ROLLBACK_FINALIZER);
  const mirror = view ? mirrored(input, view) : undefined;

  if (m.metadata.deletionTimestamp) {
    if (!guarded) return { events: [] };
    // Under way, or failed and compensating: the rollback is not over yet.
    const active = view && !finalStatuses.has(view.status as string);
    const waited = input.now.getTime() - new Date(m.metadata.deletionTimestamp).getTime();
    if (!active || waited > input.cancelGraceMs) {
      return { ...mirror, finalizers: without, events: mirror?.events ?? [] };
    }
    return {
      ...mirror,
      // A request not yet admitted is cancelled once it is: the log decides it first.
      ...(view.status === "running" && !view.failure
        ? { cancel: cancellation(view, `${m.metadata.namespace}/${m.metadata.name}`) }
        : {}),
      events: mirror?.events ?? [],
      requeueMs: RECHECK_MS,
    };
  }

  if (view && mirror) {
    const phase = mirror.status?.phase ?? current?.phase;
    // A finished migration has nothing left to roll back: its Migration may go at once.
    if (isFinal(phase) && guarded) return { ...mirror, finalizers: without };
    if (!isFinal(phase) && !guarded)
      return { ...mirror, finalizers: [...finalizers, ROLLBACK_FINALIZER] };
    return mirror;
  }

  // Asked for already: wait for the log to show it.
  if (current?.migrationId) return { events: [], requeueMs: RECHECK_MS };
  // Refused already: the spec cannot change, so neither can the answer.
  if (current?.phase === "Rejected") return { events: [] };

  const decision = decide(m, input.cluster, input.namespace);
  const observed =
    m.metadata.generation === undefined ? {} : { observedGeneration: m.metadata.generation };
  if (decision.kind === "refuse") {
    const spec = migrationSpec.partial().safeParse(m.spec ?? {});
    const target = spec.success ? spec.data.targetNode : undefined;
    return {
      status: {
        ...observed,
        phase: "Rejected",
        message: decision.message,
        rejection: { code: decision.code, reason: decision.message },
        ...(target ? { targetNode: target } : {}),
      },
      events: [],
    };
  }
  const migrationId = migrationIdFor(m.metadata.uid);
  const requestedAt = input.now.toISOString();
  const request: RequestData = {
    migrationId,
    workload: decision.workload,
    strategy: decision.strategy,
    identitySwap: decision.identitySwap,
    ...(decision.imageTransfer ? { imageTransfer: decision.imageTransfer } : {}),
    source: decision.source,
    targetNode: decision.targetNode,
    requestedBy: "kubernetes",
    requestedAt,
    reason: decision.reason ?? `Migration ${m.metadata.namespace}/${m.metadata.name}`,
  };
  const status: MigrationStatus = {
    ...observed,
    phase: "Requested",
    message: `${migrationId} requested: ${decision.source.instance}@${decision.source.node} → ${decision.targetNode}`,
    migrationId,
    workload: decision.workload,
    strategy: decision.strategy,
    identitySwap: decision.identitySwap,
    source: decision.source,
    targetNode: decision.targetNode,
    requestedAt,
  };
  return {
    // Before the request: a Migration deleted right after it was created still rolls back.
    ...(guarded ? {} : { finalizers: [...finalizers, ROLLBACK_FINALIZER] }),
    request,
    status,
    events: eventsBetween(current, status),
    requeueMs: RECHECK_MS,
  };
}

function mirrored(input: PlanInput, view: MigrationView): Plan {
  const status = statusFromView(view, {
    ...(input.migration.metadata.generation === undefined
      ? {}
      : { generation: input.migration.metadata.generation }),
    ...(input.traceUiUrl ? { traceUiUrl: input.traceUiUrl } : {}),
  });
  const changed = JSON.stringify(status) !== JSON.stringify(input.current);
  return changed ? { status, events: eventsBetween(input.current, status) } : { events: [] };
}

type Step = z.infer<typeof migrationStep>;

/** MigrationFailed for the step under way: the compensations follow as for any failure. */
function cancellation(view: MigrationView, resource: string): OutgoingEvent {
  const phase = view.phase === "done" ? "drain" : view.phase;
  const step: Step = view.round === 2 && phase === "checkpoint" ? "identity-swap" : phase;
  return failed(
    { ...view, handoff: view.handoff },
    step,
    new MigrationCancelled(view.migrationId, resource),
  );
}
