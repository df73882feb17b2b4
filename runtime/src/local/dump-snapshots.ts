import { link, mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Checkpoint } from "../types.ts";
import type { CheckpointMeta } from "./checkpoint.ts";
import { migrationPrefix } from "./checkpoint.ts";
import { META_FILE } from "./image-store.ts";
import type { Layout } from "./layout.ts";
import { readNodes } from "./nodes.ts";
import { removeTree } from "./remove-tree.ts";

/** Beside a node's dumps; not named after a migration, so `release` leaves it alone. */
const SNAPSHOTS = "to-archive";

export interface DumpSnapshot {
  node: string;
  /** Holds the dump as its checkpoint directory did: `checkpoint/`, `spec.dump`, `meta.json`. */
  dir: string;
  checkpoint: Checkpoint;
}

/**
 * Streamed dumps waiting for their OCI image: a streamed migration builds and pushes its
 * encrypted checkpoint image after the handoff instead of before the restore. A snapshot is
 * hard links to the dump's files (no copy; the dump's own file system), kept where `release`
 * does not look, so the migration releases its dump when it ends and the image is built from
 * the snapshot afterwards, which then goes.
 */
export class DumpSnapshots {
  constructor(private readonly layout: Layout) {}

  private root(node: string): string {
    return join(this.layout.checkpointsDir(node), SNAPSHOTS);
  }

  /** Links `files` (relative to `checkpointDir`) into a snapshot of `checkpoint`. */
  async take(checkpoint: Checkpoint, checkpointDir: string, files: string[]): Promise<void> {
    const dir = join(this.root(checkpoint.node), checkpoint.id);
    await rm(dir, { recursive: true, force: true });
    for (const file of [...files, "work/stats-dump"]) {
      const from = join(checkpointDir, file);
      if (!(await stat(from).catch(() => undefined))) continue;
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await link(from, join(dir, file));
    }
  }

  /** The snapshots of a migration, on every node. */
  async of(migrationId: string): Promise<DumpSnapshot[]> {
    const found: DumpSnapshot[] = [];
    for (const node of await readNodes(this.layout)) {
      const root = this.root(node.name);
      const names = await readdir(root).catch(() => [] as string[]);
      for (const name of names.filter((n) => n.startsWith(migrationPrefix(migrationId)))) {
        const dir = join(root, name);
        const meta = await readFile(join(dir, META_FILE), "utf8").catch(() => undefined);
        if (meta === undefined) {
          await this.drop(dir); // a snapshot cut short: nothing to build from
          continue;
        }
        found.push({
          node: node.name,
          dir,
          checkpoint: (JSON.parse(meta) as CheckpointMeta).checkpoint,
        });
      }
    }
    return found;
  }

  async drop(dir: string): Promise<void> {
    await removeTree(dir);
  }

  /**
   * Drops snapshots older than `maxAgeMs` on every node: their migration ended long ago and
   * nobody archived them (image-svc was not running, or never will be), and each holds a
   * dump's worth of memory.
   */
  async sweep(maxAgeMs: number): Promise<string[]> {
    const dropped: string[] = [];
    for (const node of await readNodes(this.layout)) {
      const root = this.root(node.name);
      for (const name of await readdir(root).catch(() => [] as string[])) {
        const dir = join(root, name);
        const s = await stat(dir).catch(() => undefined);
        if (!s || Date.now() - s.mtimeMs < maxAgeMs) continue;
        await this.drop(dir);
        dropped.push(dir);
      }
    }
    return dropped;
  }
}
