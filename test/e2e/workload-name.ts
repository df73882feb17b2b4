import { randomBytes } from "node:crypto";

/**
 * A workload name of this run alone: the broker keeps every migration ever made, and a name
 * reused from an earlier run could meet that run's unfinished migration.
 */
export function workloadName(prefix: string): string {
  return `${prefix}-${randomBytes(2).toString("hex")}-0`;
}
