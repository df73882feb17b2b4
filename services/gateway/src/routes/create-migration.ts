import { MigrationRequested, outgoing } from "@shadow/events";
import {
  type AdmissionRequest,
  canFence,
  type MigrationView,
  placementRefusal,
} from "@shadow/migration";
import { traceLink } from "@shadow/otel/trace-link";
import type { InstanceInfo, NodeInfo } from "@shadow/runtime";
import type { GatewayDeps } from "../deps.ts";
import { RequestRefused, statusOfRefusal } from "../errors.ts";
import { chooseTarget } from "../placement.ts";
import type { MigrationRequestBody } from "../request.ts";

export interface MigrationAccepted {
  migrationId: string;
  workload: string;
  source: { instance: string; node: string };
  targetNode: string;
  strategy: "shadow" | "sequential";
  identitySwap: boolean;
  nameRestore?: boolean;
  traceId?: string;
  traceLink?: string;
}

/** How long a request waits for the log's verdict before the gateway answers 504. */
export const DEFAULT_VERDICT_TIMEOUT_MS = 15_000;

/**
 * The instance a migration of the workload starts from: its only running instance, or the
 * primary among several. A shadow that passed its fence keeps "shadow" in its identity file
 * while it serves as primary, so the file's role only breaks a tie.
 */
function sourceOf(instances: InstanceInfo[], workload: string): InstanceInfo | undefined {
  const running = instances.filter((i) => i.workload === workload && i.state === "running");
  return running.length === 1 ? running[0] : running.find((i) => i.identity.role === "primary");
}

/**
 * The request, checked against what the runtime says now: no such workload, no such node, or a
 * `shadow` migration of a workload that cannot fence are refused at once, with admission's words.
 */
function placedRequest(
  body: MigrationRequestBody,
  instances: InstanceInfo[],
  nodes: NodeInfo[],
): AdmissionRequest {
  const source = sourceOf(instances, body.workload);
  if (!source)
    throw new RequestRefused(404, `no running workload named ${body.workload}`, "UNKNOWN_WORKLOAD");
  if (body.nameRestore) return nameRestoreRequest(body, source, instances, nodes);
  const targetNode = chooseTarget(nodes, source.node, body.targetNode, sameNodeHint(source));
  const strategy =
    body.strategy === "auto" ? (canFence(source) ? "shadow" : "sequential") : body.strategy;
  const request = {
    workload: body.workload,
    strategy,
    source: { instance: source.instance, node: source.node },
    targetNode,
  } as const;
  const refusal = placementRefusal(request, { source, nodes });
  if (refusal)
    throw new RequestRefused(statusOfRefusal(refusal.code), refusal.reason, refusal.code);
  return request;
}

/** What a request for the node a workload serves on under another name can be: a name restore. */
function sameNodeHint(source: InstanceInfo): string | undefined {
  return source.instance === source.workload
    ? undefined
    : `it serves there as ${source.instance}; to give it its own name back there, ask for a name restore (nameRestore: true, shadow migrate --restore-name)`;
}

/**
 * A name restore: round 2 of an identity swap alone, on the node the workload serves on under
 * another name. Refused here with admission's words when the runtime already shows why it cannot.
 */
function nameRestoreRequest(
  body: MigrationRequestBody,
  source: InstanceInfo,
  instances: InstanceInfo[],
  nodes: NodeInfo[],
): AdmissionRequest {
  const request = {
    workload: body.workload,
    strategy: body.strategy === "sequential" ? "sequential" : "shadow",
    source: { instance: source.instance, node: source.node },
    targetNode: body.targetNode === "auto" ? source.node : body.targetNode,
    identitySwap: body.identitySwap ?? true,
    nameRestore: true,
  } as const;
  const named = instances.find((i) => i.instance === body.workload);
  const refusal = placementRefusal(request, { source, nodes, named });
  if (refusal)
    throw new RequestRefused(statusOfRefusal(refusal.code), refusal.reason, refusal.code);
  return request;
}

/**
 * The request made while this gateway has seen another migration of the workload begin: the
 * log refuses it naming that migration (admission checks that first), whatever the runtime
 * shows at this instant. Mid-migration the workload may have no running instance at all (its
 * only copy frozen for a checkpoint, or between a drain and the next restore of an identity
 * swap), so checking the runtime here would answer 404 where the log says 409. The request
 * names the migration's source; if that migration ended meanwhile, admission checks the
 * placement against the runtime as for any request.
 */
function requestBeside(body: MigrationRequestBody, active: MigrationView): AdmissionRequest {
  return {
    workload: body.workload,
    strategy: body.strategy === "auto" ? active.strategy : body.strategy,
    source: active.source,
    targetNode: body.targetNode === "auto" ? active.targetNode : body.targetNode,
    ...(body.nameRestore ? { nameRestore: true } : {}),
  };
}

/**
 * Emits MigrationRequested for a request that names a real workload and target, and answers
 * with the log's verdict on it: whether another migration of the workload was under way at
 * its place in the log (refused, naming it) is for the log to say, not for this process, so a
 * second gateway or a Kafka producer is held to the same order. What the gateway can tell at
 * once (no such workload, no such node, a `shadow` migration of a workload that cannot fence)
 * it refuses before emitting anything, with admission's own words, unless a migration of the
 * workload is under way: then the log's refusal of the request is the answer.
 */
export async function createMigration(
  body: MigrationRequestBody,
  requestedBy: "http" | "cli",
  deps: GatewayDeps,
): Promise<MigrationAccepted> {
  const active = deps.projection.activeFor(body.workload);
  const request = active
    ? requestBeside(body, active)
    : placedRequest(body, ...(await Promise.all([deps.runtime.list(), deps.runtime.nodes()])));
  const { strategy, source, targetNode } = request;

  const migrationId = deps.newMigrationId();
  const identitySwap =
    request.identitySwap ??
    body.identitySwap ??
    (strategy === "shadow" && (source.instance === body.workload || body.nameRestore === true));
  const data = {
    migrationId,
    workload: request.workload,
    strategy,
    source,
    targetNode,
    identitySwap,
    ...(request.nameRestore ? { nameRestore: true } : {}),
    ...(body.imageTransfer ? { imageTransfer: body.imageTransfer } : {}),
    requestedBy,
    requestedAt: deps.now().toISOString(),
    ...(body.reason ? { reason: body.reason } : {}),
  };
  const timeoutMs = deps.verdictTimeoutMs ?? DEFAULT_VERDICT_TIMEOUT_MS;
  const verdict = deps.verdicts.wait(migrationId);
  let traceId: string | undefined;
  try {
    ({ traceId } = await deps.publish(outgoing(MigrationRequested, data)));
  } catch (error) {
    verdict.cancel();
    throw error;
  }
  // Counted from when the request is on the log: from there the wait is the log's answer.
  const view = await verdict.within(timeoutMs);
  if (!view) {
    throw new RequestRefused(
      504,
      `no verdict on ${migrationId} within ${Math.round(timeoutMs / 1000)} s: the request is on the log and will be answered there (GET /migrations/${migrationId})`,
      "VERDICT_TIMEOUT",
      { migrationId },
    );
  }
  if (view.status === "rejected") {
    const code = view.rejection?.code ?? "REJECTED";
    throw new RequestRefused(statusOfRefusal(code), view.rejection?.reason ?? "refused", code, {
      migrationId,
      ...(view.rejection?.runningMigrationId
        ? { runningMigrationId: view.rejection.runningMigrationId }
        : {}),
    });
  }
  const link = traceId ? traceLink(deps.traceUiUrl, traceId) : undefined;
  return {
    migrationId,
    workload: body.workload,
    source: data.source,
    targetNode,
    strategy,
    identitySwap,
    ...(request.nameRestore ? { nameRestore: true } : {}),
    ...(traceId ? { traceId } : {}),
    ...(link ? { traceLink: link } : {}),
  };
}
