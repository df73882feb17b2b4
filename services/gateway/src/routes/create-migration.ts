import { MigrationRequested, outgoing } from "@shadow/events";
import { canFence, type MigrationView, placementRefusal } from "@shadow/migration";
import { traceLink } from "@shadow/otel/trace-link";
import type { InstanceInfo } from "@shadow/runtime";
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
  traceId?: string;
  traceLink?: string;
}

/** How long a request waits for the log's verdict before the gateway answers 504. */
export const DEFAULT_VERDICT_TIMEOUT_MS = 15_000;

/**
 * The instance a migration of the workload starts from: the source of the migration under way
 * if there is one (the request will be refused naming it, but it needs a source to be a
 * request), else the workload's only running instance, or the primary among several. A shadow
 * that passed its fence keeps "shadow" in its identity file while it serves as primary, so the
 * file's role only breaks a tie.
 */
function sourceOf(
  instances: InstanceInfo[],
  workload: string,
  active: MigrationView | undefined,
): InstanceInfo | undefined {
  const running = instances.filter((i) => i.workload === workload && i.state === "running");
  const underWay = active && running.find((i) => i.instance === active.handoff.from.instance);
  return (
    underWay ??
    (running.length === 1 ? running[0] : running.find((i) => i.identity.role === "primary"))
  );
}

/**
 * Emits MigrationRequested for a request that names a real workload and target, and answers
 * with the log's verdict on it: whether another migration of the workload was under way at
 * its place in the log (refused, naming it) is for the log to say, not for this process, so a
 * second gateway or a Kafka producer is held to the same order. What the gateway can tell at
 * once (no such workload, no such node, a `shadow` migration of a workload that cannot fence)
 * it refuses before emitting anything, with admission's own words.
 */
export async function createMigration(
  body: MigrationRequestBody,
  requestedBy: "http" | "cli",
  deps: GatewayDeps,
): Promise<MigrationAccepted> {
  const active = deps.projection.activeFor(body.workload);
  const [instances, nodes] = await Promise.all([deps.runtime.list(), deps.runtime.nodes()]);
  const source = sourceOf(instances, body.workload, active);
  if (!source)
    throw new RequestRefused(404, `no running workload named ${body.workload}`, "UNKNOWN_WORKLOAD");
  const targetNode = chooseTarget(nodes, source.node, body.targetNode);
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

  const migrationId = deps.newMigrationId();
  const identitySwap =
    body.identitySwap ?? (strategy === "shadow" && source.instance === body.workload);
  const data = {
    migrationId,
    ...request,
    identitySwap,
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
    ...(traceId ? { traceId } : {}),
    ...(link ? { traceLink: link } : {}),
  };
}
