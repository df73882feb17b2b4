import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Layout } from "./layout.ts";
import { readNodes } from "./nodes.ts";
import { processAlive } from "./process-alive.ts";
import { removeTree } from "./remove-tree.ts";

/** `restore-<instance>-<pid>`, and the pull's staging dir `<that>.partial-<hex>`. */
const scratchName = /^restore-.+-(\d+)(\.partial-[0-9a-f]+)?$/;

/**
 * Removes the restore scratch directories of processes that died mid-restore (a service
 * killed while it pulled an image leaves its unpacked copy behind). Each carries its owner's
 * pid; a live owner's is left alone.
 */
export async function sweepStaleScratch(layout: Layout): Promise<string[]> {
  const removed: string[] = [];
  for (const node of await readNodes(layout)) {
    // Streamed dumps are restored beside the node's dumps, the others in its images dir.
    for (const dir of new Set([layout.imagesDir(node.name), layout.checkpointsDir(node.name)])) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const match = scratchName.exec(name);
        if (!match || processAlive(Number(match[1]))) continue;
        await removeTree(join(dir, name));
        removed.push(join(dir, name));
      }
    }
  }
  return removed;
}
