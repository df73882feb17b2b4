import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PodRef, SourceInfo } from "@shadow/runtime/kubernetes/agent-protocol";
import type { AgentLayout } from "./layout.ts";

/** A process this agent restored into a pod, and what it needs to dump or remove it again. */
export interface ContainerRecord {
  id: string;
  pod: PodRef;
  sandboxId: string;
  migrationId: string;
  pid: number;
  /** The image its root file system is a snapshot of. */
  rootfsImage: string;
  /** Who it is now, and the pod template it came with: what a checkpoint of it carries on. */
  source: SourceInfo;
}

const RECORD = "record.json";

export async function writeRecord(layout: AgentLayout, record: ContainerRecord): Promise<void> {
  const dir = layout.container(record.id);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${RECORD}.tmp`);
  await writeFile(tmp, JSON.stringify(record));
  await rename(tmp, join(dir, RECORD));
}

export async function readRecords(layout: AgentLayout): Promise<ContainerRecord[]> {
  const ids = await readdir(layout.containers).catch(() => [] as string[]);
  const records: ContainerRecord[] = [];
  for (const id of ids) {
    const text = await readFile(join(layout.container(id), RECORD), "utf8").catch(() => undefined);
    if (text) records.push(JSON.parse(text) as ContainerRecord);
  }
  return records;
}

export async function findRecord(
  layout: AgentLayout,
  podUid: string,
): Promise<ContainerRecord | undefined> {
  return (await readRecords(layout)).find((r) => r.pod.uid === podUid);
}
