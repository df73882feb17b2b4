import type { LogLedger } from "@shadow/migration";
import type { Runtime } from "@shadow/runtime";

export interface AdmissionDeps {
  /** Read only: admission looks at the places a request names, and changes nothing. */
  runtime: Pick<Runtime, "inspect" | "nodes">;
  /** The same ledger the service's gate folds: where each request stands at its place. */
  ledger: Pick<LogLedger, "migration" | "answeredAhead">;
}
