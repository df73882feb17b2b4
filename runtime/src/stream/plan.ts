import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Digest } from "../image/digest.ts";
import { type FileRecord, IndexHash } from "./format.ts";
import { type Pagemap, parsePagemap } from "./pagemap.ts";

/** One file of the stream: where it is read from and what its record says. */
export interface PlannedFile {
  path: string;
  record: FileRecord;
}

export interface StreamPlan {
  checkpointId: string;
  files: PlannedFile[];
  /** Bytes the stream carries (extents), and bytes left to the page source (lazy pages). */
  bytes: number;
  lazyBytes: number;
  index: Digest;
}

export interface PlanOptions {
  checkpointId: string;
  /** The checkpoint directory: `checkpoint/` (CRIU images) and the top-level files named. */
  dir: string;
  /** Top-level files sent beside the CRIU images (e.g. `spec.dump`, `meta.json`). */
  extraFiles: string[];
  /**
   * Leave the pages CRIU marks lazy out of the pages files (they become holes): a post-copy
   * restore fetches them from the page source. The others, which the restore must have before
   * the task runs, are sent.
   */
  withoutLazyPages: boolean;
}

const PAGEMAP_RE = /^pagemap-(\d+)\.img$/;

/**
 * What a dump's stream will hold. Files in name order (the CRIU images, then the extra files),
 * each whole, except the pages files of task pagemaps when lazy pages stay behind.
 */
export async function planStream(options: PlanOptions): Promise<StreamPlan> {
  const imagesDir = join(options.dir, "checkpoint");
  const names = (await readdir(imagesDir)).sort();
  // pages-<id>.img → the pagemap describing it (a task's pagemap names its pages file).
  const pagemaps = new Map<string, Pagemap>();
  if (options.withoutLazyPages) {
    for (const name of names.filter((n) => PAGEMAP_RE.test(n))) {
      const pagemap = parsePagemap(await readFile(join(imagesDir, name)));
      pagemaps.set(`pages-${pagemap.pagesId}.img`, pagemap);
    }
  }
  const files: PlannedFile[] = [];
  let bytes = 0;
  let lazyBytes = 0;
  const add = async (path: string, name: string) => {
    const s = await stat(path);
    if (!s.isFile()) throw new Error(`${path} is not a file: a CRIU dump holds only files`);
    const pagemap = pagemaps.get(name.replace(/^checkpoint\//, ""));
    const extents = pagemap ? eagerExtents(pagemap) : s.size > 0 ? [[0, s.size] as const] : [];
    const record: FileRecord = {
      kind: "file",
      name,
      mode: s.mode & 0o7777,
      size: s.size,
      extents: extents.map(([o, l]) => [o, l]),
    };
    const sent = record.extents.reduce((sum, [, l]) => sum + l, 0);
    bytes += sent;
    lazyBytes += s.size - sent;
    files.push({ path, record });
  };
  for (const name of names) await add(join(imagesDir, name), `checkpoint/${name}`);
  for (const name of options.extraFiles) await add(join(options.dir, name), name);
  const index = new IndexHash(options.checkpointId);
  for (const file of files) index.add(file.record);
  return { checkpointId: options.checkpointId, files, bytes, lazyBytes, index: index.digest() };
}

/** The runs of a pages file CRIU must have before the task runs, adjacent runs merged. */
function eagerExtents(pagemap: Pagemap): Array<readonly [number, number]> {
  const out: Array<[number, number]> = [];
  for (const run of pagemap.runs) {
    if (run.lazy || run.offset === undefined) continue;
    const length = run.pages * 4096;
    const last = out.at(-1);
    if (last && last[0] + last[1] === run.offset) last[1] += length;
    else out.push([run.offset, length]);
  }
  return out;
}
