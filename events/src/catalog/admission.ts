import { z } from "zod";
import {
  defineEvent,
  instanceRef,
  migrationBase,
  migrationId,
  nodeName,
  reasonText,
  requestedBy,
} from "./define.ts";

/** What a verdict repeats of its request, so a step can act on the verdict alone. */
const requestFields = {
  source: instanceRef,
  targetNode: nodeName,
  requestedBy,
};

/**
 * admission-svc: the request may run. It was the only migration of its workload under way at
 * its place in the log, its source runs where it says, and its target can take it. Starts the
 * checkpoint.
 */
export const MigrationAdmitted = defineEvent(
  "io.shadow.migration.admitted.v1",
  migrationBase.extend(requestFields),
);

/** Why a request was refused; `ALREADY_MIGRATING` is the log's own verdict, the rest the runtime's. */
export const rejectionCode = z.enum([
  "ALREADY_MIGRATING",
  "UNKNOWN_INSTANCE",
  "UNKNOWN_NODE",
  "SAME_NODE",
  "NAME_RESTORE_REFUSED",
  "NODE_UNSCHEDULABLE",
  "CANNOT_FENCE",
  "RUNTIME_UNAVAILABLE",
]);

/**
 * admission-svc: the request ends here, and nothing was done for it. `runningMigrationId` names
 * the migration of the workload that was under way at the request's place in the log.
 */
export const MigrationRejected = defineEvent(
  "io.shadow.migration.rejected.v1",
  migrationBase.extend({
    ...requestFields,
    code: rejectionCode,
    reason: reasonText,
    runningMigrationId: migrationId.optional(),
  }),
);
