import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Identity, WorkloadSpec } from "../types.ts";
import type { Layout } from "./layout.ts";

/** What the local adapter remembers about one instance (nodes/<node>/instances/<i>/instance.json). */
export interface InstanceRecord {
  instance: string;
  workload: string;
  node: string;
  /** The instance's own address on the bridge (its "pod IP"). */
  address: string;
  netns: string;
  veth: string;
  /** runc's container id (the instance name). */
  containerId: string;
  spec: WorkloadSpec;
  identity: Identity;
  createdAt: string;
  /** Checkpoint id it was restored from, if it was. */
  restoredFrom?: string;
  /** Restored post-copy: its memory arrives after it runs (see lazy-pages.ts). */
  postCopy?: boolean;
}

const RECORD = "instance.json";

/** Writes a file atomically (temp file + rename), so readers never see half of it. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** Writes a JSON file atomically (see writeTextAtomic). */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export async function writeRecord(layout: Layout, record: InstanceRecord): Promise<void> {
  const dir = layout.instance(record.node, record.instance);
  await mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, RECORD), record);
}

export async function readRecords(layout: Layout): Promise<InstanceRecord[]> {
  const nodes = await readdir(layout.nodesDir).catch(() => [] as string[]);
  const records: InstanceRecord[] = [];
  for (const node of nodes) {
    const names = await readdir(layout.instancesDir(node)).catch(() => [] as string[]);
    for (const name of names) {
      const text = await readFile(join(layout.instance(node, name), RECORD), "utf8").catch(
        () => undefined,
      );
      // A directory without a record is an instance being created (or a crashed creation).
      if (text !== undefined) records.push(JSON.parse(text) as InstanceRecord);
    }
  }
  return records;
}

export async function findRecord(
  layout: Layout,
  instance: string,
): Promise<InstanceRecord | undefined> {
  return (await readRecords(layout)).find((r) => r.instance === instance);
}
