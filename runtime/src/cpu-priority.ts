import type { CpuPriority, Identity } from "./types.ts";

/** The port's rule: an instance that starts as a shadow yields; a primary (run, or sequential) serves. */
export function cpuPriorityOf(role: Identity["role"]): CpuPriority {
  return role === "shadow" ? "shadow" : "serving";
}
