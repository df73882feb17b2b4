import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentDeps } from "./deps.ts";
import { AgentError } from "./errors.ts";

/**
 * A kubelet's container on this node, reached through its own cgroup: the kubelet knows
 * nothing of what shadow does to it (a freeze left behind, a cap while a shadow catches up).
 */
async function kubeletCgroup(deps: AgentDeps, podUid: string, name: string): Promise<string> {
  const sandbox = await deps.cri.sandbox(podUid);
  const container = sandbox && (await deps.cri.container(sandbox.id, name));
  if (!container?.cgroupsPath)
    throw new AgentError("UNKNOWN_INSTANCE", 404, `no running container ${name} in pod ${podUid}`);
  return container.cgroupsPath;
}

/**
 * Thaws a kubelet's container that a failed checkpoint left frozen. The runtime freezes the
 * container before CRIU dumps it; when the freeze itself fails midway ("unable to freeze", seen
 * under heavy load), the cgroup can stay FREEZING or FROZEN, and the source, which must keep
 * serving, would stand still. Returns the state it found.
 */
export async function thawContainer(
  deps: AgentDeps,
  podUid: string,
  name: string,
): Promise<string> {
  const cgroup = await kubeletCgroup(deps, podUid, name);
  const v1 = join("/sys/fs/cgroup/freezer", cgroup, "freezer.state");
  const before = await readFile(v1, "utf8").catch(() => undefined);
  if (before !== undefined) {
    if (before.trim() !== "THAWED") await writeFile(v1, "THAWED");
    return before.trim();
  }
  const v2 = join("/sys/fs/cgroup", cgroup, "cgroup.freeze");
  const frozen = (await readFile(v2, "utf8")).trim();
  if (frozen !== "0") await writeFile(v2, "0");
  return frozen === "0" ? "THAWED" : "FROZEN";
}

/**
 * Caps a kubelet's container at `quotaUs` of CPU per 100 ms (-1: no cap of shadow's). The
 * container's own cgroup, below the pod's: the pod's limits stay the kubelet's.
 */
export async function capKubeletContainer(
  deps: AgentDeps,
  podUid: string,
  name: string,
  quotaUs: number,
): Promise<void> {
  const cgroup = await kubeletCgroup(deps, podUid, name);
  const v1 = join("/sys/fs/cgroup/cpu", cgroup);
  const period = await readFile(join(v1, "cpu.cfs_period_us"), "utf8").catch(() => undefined);
  if (period !== undefined) {
    await writeFile(join(v1, "cpu.cfs_period_us"), "100000");
    await writeFile(join(v1, "cpu.cfs_quota_us"), String(quotaUs));
    return;
  }
  await writeFile(
    join("/sys/fs/cgroup", cgroup, "cpu.max"),
    `${quotaUs < 0 ? "max" : quotaUs} 100000`,
  );
}
