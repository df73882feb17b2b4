import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { CheckpointMetadata } from "../image/index.ts";
import type { Checkpoint, CheckpointImage, ImageTransfer } from "../types.ts";

/**
 * The seam between the local adapter and checkpoint image handling (packing, encryption,
 * registry push/pull, digest checks, retention). The adapter hands over a finished dump and
 * gets back a directory with the same dump, verified. OciImageStore implements it with
 * runtime/src/image; tests may pass another.
 */
export interface ImageStore {
  build(input: BuildInput): Promise<CheckpointImage>;
  /**
   * What preflight needs, read from the manifest before the layer is fetched (a streamed dump:
   * from its record, as delivered to `targetNode`).
   */
  describe(
    image: CheckpointImage,
    migrationId?: string,
    targetNode?: string,
  ): Promise<CheckpointMetadata>;
  /**
   * Puts the image, verified and unpacked, into `intoDir` on `targetNode`, giving `checkpoint/`
   * (CRIU images) and `spec.dump` (the source's OCI runtime spec): the copy delivered there by
   * `build` if it is still unclaimed, else fetched again. Throws ImageNotFoundError,
   * ImageIntegrityError or ImageDecryptError.
   */
  unpack(
    image: CheckpointImage,
    targetNode: string,
    intoDir: string,
    migrationId: string,
  ): Promise<Unpacked>;
  release(migrationId: string): Promise<void>;
  /**
   * Builds and pushes the OCI images of a migration's streamed dumps, kept for retention
   * (see Runtime.archiveImages); nothing when none were streamed.
   */
  archive(migrationId: string): Promise<CheckpointImage[]>;
  /**
   * Where on `targetNode` a restore of `image` unpacks or claims it: on the file system its
   * delivered copy is on, so that claiming it is a rename.
   */
  scratchRoot(image: CheckpointImage, targetNode: string): string;
}

export type { ImageTransfer };

export interface Unpacked {
  /**
   * Set when the dump's lazy pages were left at the source: the restore must be post-copy,
   * its lazy-pages daemon fetching them from this page source.
   */
  pageSource?: { host: string; port: number } | undefined;
}

export interface BuildInput {
  checkpoint: Checkpoint;
  /** Directory holding `checkpoint/` (CRIU images), `spec.dump`, `meta.json` and `work/`. */
  checkpointDir: string;
  targetNode: string;
  /** Where images for the target node are kept. */
  imagesDir: string;
  /** Overrides the store's configured transfer for this image. */
  transfer?: ImageTransfer | undefined;
  /**
   * The target may restore post-copy (CRIU's lazy pages: userfaultfd works here): a streamed
   * dump then leaves its lazy pages at the source, served on demand.
   */
  postCopy?: boolean | undefined;
}

/** What the source recorded for preflight (image/metadata.ts is the packed form). */
export interface CheckpointDescription {
  criuVersion: string;
  kernel: string;
  arch: string;
  cpuFlags: string[];
  memoryBytes: number;
  dumpBytes: number;
}

export const META_FILE = "meta.json";
export const SPEC_FILE = "spec.dump";
export const IMAGES_SUBDIR = "checkpoint";

export async function duBytes(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const name of await readdir(path)) total += await duBytes(join(path, name));
  return total;
}
