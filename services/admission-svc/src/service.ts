import { type Handlers, MigrationRequested } from "@shadow/events";
import type { AdmissionDeps } from "./deps.ts";
import { onMigrationRequested } from "./handlers/migration-requested.ts";

export const serviceName = "admission-svc";

/** admission-svc: answers every MigrationRequested with MigrationAdmitted or MigrationRejected. */
export const admissionHandlers: Handlers<AdmissionDeps> = {
  [MigrationRequested.type]: onMigrationRequested,
};
