import { mkdir, writeFile } from "node:fs/promises";
import { cpuPriorityOf } from "../cpu-priority.ts";
import type { CpuPriority, Identity } from "../types.ts";

/**
 * How instances weigh in the kernel's CPU scheduler (cgroup v1 `cpu.shares`, relative among
 * siblings; a process outside any group weighs 1024).
 *
 * Why: on a node short of cores, a migration's own work (the restored shadow replaying its
 * backlog, the image build, the broker's extra fetches) competed with the instance that
 * serves. With every instance's cgroup under one parent of default weight, a shadow's burst
 * charged that parent, and the source's thread waited on the run queue for up to 90 ms
 * (read from its schedstat) while its inputs queued. So:
 * - the instances' parent weighs as much as 8 ordinary processes, so what serves is not
 *   starved by the node's agents and the migration services;
 * - inside it, a shadow weighs 1/16 of a serving instance until it takes over: it gets the
 *   CPU its source leaves, and the source never waits for it.
 * At 120 msg/s with 4 partitions, 8 runs each: the max extra delay went from 31 ms below to
 * 44 ms above the checkpoint pause (4 of 8 over +30 ms) to 10-42 ms below it in every run.
 */
export const CPU_SHARES: Record<CpuPriority, number> = { serving: 1024, shadow: 64 };
export const INSTANCES_CPU_SHARES = 8192;

/** The cgroup (v1, cpu controller) every instance's cgroup lives under. */
export const INSTANCES_CPU_CGROUP = "/sys/fs/cgroup/cpu/shadow";

/** The cpu.shares an instance starts with, by the role its identity gives it. */
export function cpuSharesOf(role: Identity["role"]): number {
  return CPU_SHARES[cpuPriorityOf(role)];
}

let weighed: Promise<void> | undefined;

/** Sets the instances' parent weight once per process (creating the group if need be). */
export function weighInstances(cgroup = INSTANCES_CPU_CGROUP): Promise<void> {
  weighed ??= (async () => {
    await mkdir(cgroup, { recursive: true });
    await writeFile(`${cgroup}/cpu.shares`, String(INSTANCES_CPU_SHARES));
  })().catch((error) => {
    weighed = undefined;
    throw error;
  });
  return weighed;
}
