import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { AgentState } from "@shadow/runtime/kubernetes/agent-protocol";
import type { AgentDeps } from "./deps.ts";
import { migrationPrefix } from "./layout.ts";
import { readRecords } from "./records.ts";
import { teardown } from "./teardown.ts";

/**
 * Removes what a finished or rolled-back migration left on this node: its checkpoints, images
 * and received copies (by name), what it pushed to the registry (by the retention ledger), and
 * any restored process of it that no longer runs. A running process is a serving copy: kept.
 */
export async function releaseMigration(deps: AgentDeps, migrationId: string): Promise<string[]> {
  const removed: string[] = [];
  const prefix = migrationPrefix(migrationId);
  for (const dir of [deps.layout.dumps, deps.layout.images, deps.layout.receivedDir]) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.startsWith(prefix)) continue;
      await rm(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    }
  }
  for (const artifact of await deps.retention.release(migrationId)) {
    removed.push(
      artifact.kind === "path"
        ? artifact.path
        : `${artifact.registry}/${artifact.repository}@${artifact.digest}`,
    );
  }
  for (const record of await readRecords(deps.layout)) {
    if (record.migrationId !== migrationId) continue;
    const state = await deps.runc.state(record.id);
    if (state?.status === "running") continue;
    await teardown(deps, record);
    removed.push(record.id);
  }
  return removed;
}

/** What the agent holds now: its restored processes and every file of a migration. */
export async function agentState(deps: AgentDeps): Promise<AgentState> {
  const files: string[] = [];
  for (const dir of [deps.layout.dumps, deps.layout.images, deps.layout.receivedDir]) {
    for (const name of await readdir(dir).catch(() => [] as string[])) files.push(join(dir, name));
  }
  const containers = (await readRecords(deps.layout)).map((r) => ({
    id: r.id,
    pod: r.pod,
    migrationId: r.migrationId,
    pid: r.pid,
  }));
  return { node: deps.config.node, containers, files };
}
