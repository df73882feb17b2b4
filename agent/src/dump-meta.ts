import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CheckpointResponse, SourceInfo } from "@shadow/runtime/kubernetes/agent-protocol";

/** What a checkpoint directory carries beside the archive's own files: enough to image it. */
export interface DumpMeta {
  migrationId: string;
  source: SourceInfo;
  /** The image the container's root file system came from (the archive's config.dump). */
  rootfsImage: string;
  /** Who dumped it: the kubelet's runtime, or this agent. */
  engine: "kubelet" | "shadow";
  checkpoint: CheckpointResponse;
  memoryBytes: number;
}

const META = "shadow-meta.json";

export async function writeDumpMeta(dir: string, meta: DumpMeta): Promise<void> {
  await writeFile(join(dir, META), JSON.stringify(meta));
}

export async function readDumpMeta(dir: string): Promise<DumpMeta | undefined> {
  const text = await readFile(join(dir, META), "utf8").catch(() => undefined);
  return text ? (JSON.parse(text) as DumpMeta) : undefined;
}
