import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentDeps } from "./deps.ts";
import { AgentError } from "./errors.ts";

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
  const sandbox = await deps.cri.sandbox(podUid);
  const container = sandbox && (await deps.cri.container(sandbox.id, name));
  if (!container?.cgroupsPath)
    throw new AgentError("UNKNOWN_INSTANCE", 404, `no running container ${name} in pod ${podUid}`);
  const v1 = join("/sys/fs/cgroup/freezer", container.cgroupsPath, "freezer.state");
  const before = await readFile(v1, "utf8").catch(() => undefined);
  if (before !== undefined) {
    if (before.trim() !== "THAWED") await writeFile(v1, "THAWED");
    return before.trim();
  }
  const v2 = join("/sys/fs/cgroup", container.cgroupsPath, "cgroup.freeze");
  const frozen = (await readFile(v2, "utf8")).trim();
  if (frozen !== "0") await writeFile(v2, "0");
  return frozen === "0" ? "THAWED" : "FROZEN";
}
