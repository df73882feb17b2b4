import { MigrationRequested, outgoing } from "@shadow/events";
import { traceLink } from "@shadow/otel/trace-link";
import type { GatewayDeps } from "../deps.ts";
import { RequestRefused } from "../errors.ts";
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

/**
 * Validates a migration request against what runs now and emits MigrationRequested. Refuses a
 * second migration of a workload that is already migrating: two handoffs of one source at once
 * would race for its fence.
 */
export async function createMigration(
  body: MigrationRequestBody,
  requestedBy: "http" | "cli",
  deps: GatewayDeps,
): Promise<MigrationAccepted> {
  const active = deps.projection.activeFor(body.workload);
  if (active) {
    throw new RequestRefused(
      409,
      `workload ${body.workload} is already migrating (${active.migrationId}, phase ${active.phase})`,
      "ALREADY_MIGRATING",
    );
  }
  const instances = await deps.runtime.list();
  // The serving instance: the only running one of the workload (no migration is under way,
  // checked above). A shadow that passed its fence keeps "shadow" in its identity file while
  // it serves as primary, so the file's role only breaks a tie.
  const running = instances.filter((i) => i.workload === body.workload && i.state === "running");
  const source =
    running.length === 1 ? running[0] : running.find((i) => i.identity.role === "primary");
  if (!source)
    throw new RequestRefused(404, `no running workload named ${body.workload}`, "UNKNOWN_WORKLOAD");
  const targetNode = chooseTarget(await deps.runtime.nodes(), source.node, body.targetNode);
  const migrationId = deps.newMigrationId();
  const identitySwap =
    body.identitySwap ?? (body.strategy === "shadow" && source.instance === body.workload);
  const data = {
    migrationId,
    workload: body.workload,
    strategy: body.strategy,
    identitySwap,
    ...(body.imageTransfer ? { imageTransfer: body.imageTransfer } : {}),
    source: { instance: source.instance, node: source.node },
    targetNode,
    requestedBy,
    requestedAt: deps.now().toISOString(),
    ...(body.reason ? { reason: body.reason } : {}),
  };
  const { traceId } = await deps.publish(outgoing(MigrationRequested, data));
  const link = traceId ? traceLink(deps.traceUiUrl, traceId) : undefined;
  return {
    migrationId,
    workload: body.workload,
    source: data.source,
    targetNode,
    strategy: body.strategy,
    identitySwap,
    ...(traceId ? { traceId } : {}),
    ...(link ? { traceLink: link } : {}),
  };
}
