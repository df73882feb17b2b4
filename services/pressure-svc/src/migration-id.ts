import { createHash } from "node:crypto";

/**
 * The id of the migration a decision starts, derived from the signal it answers and the
 * workload: the same signal handled again (a redelivery after a crash) asks for the same
 * migration, which the log then tells apart from a second one.
 */
export function migrationIdFor(signal: { source: string; id: string }, workload: string): string {
  const hash = createHash("sha256").update(`${signal.source}\n${signal.id}\n${workload}`);
  return `mig-${hash.digest("hex").slice(0, 8)}`;
}
