import {
  type IncomingEvent,
  MigrationAdmitted,
  MigrationRejected,
  type MigrationRequested,
  type OutgoingEvent,
  outgoing,
  TerminalError,
} from "@shadow/events";
import { baseOf, busyRefusal, placementRefusal, type Refusal } from "@shadow/migration";
import type { AdmissionDeps } from "../deps.ts";

type Request = IncomingEvent<typeof MigrationRequested.type>["data"];

function requestOf(d: Request) {
  return {
    ...baseOf(d),
    source: d.source,
    targetNode: d.targetNode,
    requestedBy: d.requestedBy,
  };
}

function rejected(d: Request, refusal: Refusal): OutgoingEvent {
  return outgoing(MigrationRejected, { ...requestOf(d), ...refusal });
}

/**
 * Answers a request. The log has decided already, at the request's place (the gate folded it):
 * if another migration of the workload was under way there, the request is refused naming it.
 * Otherwise it is the one under way, and the runtime is asked whether its places are real: the
 * source instance running where it says, a target node that can take it, and, for `shadow`, a
 * workload that can fence. A request answered before this service restarted (its verdict lies
 * further on in the log) is not answered again: the first verdict stands.
 */
export async function onMigrationRequested(
  event: IncomingEvent<typeof MigrationRequested.type>,
  deps: AdmissionDeps,
): Promise<OutgoingEvent[]> {
  const d = event.data;
  const entry = deps.ledger.migration(d.migrationId);
  if (!entry) {
    throw new TerminalError(`request ${d.migrationId} is not in the ledger`, {
      migrationId: d.migrationId,
      code: "not-folded",
    });
  }
  if (deps.ledger.answeredAhead(d.migrationId)) return [];
  if (entry.decision.kind === "busy") {
    return [rejected(d, busyRefusal(d.workload, entry.decision.running))];
  }
  let refusal: Refusal | undefined;
  try {
    const [source, nodes, named] = await Promise.all([
      deps.runtime.inspect(d.source.instance),
      deps.runtime.nodes(),
      d.nameRestore ? deps.runtime.inspect(d.workload) : undefined,
    ]);
    refusal = placementRefusal(d, { source, nodes, named });
  } catch (error) {
    // Better a refusal the requester sees than a request that holds its workload unanswered.
    refusal = {
      code: "RUNTIME_UNAVAILABLE",
      reason:
        `the runtime could not be asked about the request: ${error instanceof Error ? error.message : String(error)}`.slice(
          0,
          2000,
        ),
    };
  }
  return [refusal ? rejected(d, refusal) : outgoing(MigrationAdmitted, requestOf(d))];
}
