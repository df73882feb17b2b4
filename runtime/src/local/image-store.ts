import { createHash } from "node:crypto";
import { cp, mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ImageNotFoundError } from "../errors.ts";
import type { Checkpoint, CheckpointImage } from "../types.ts";

/**
 * The seam between the local adapter and checkpoint image handling (packing, encryption,
 * registry push/pull, digest checks, retention). The adapter hands over a finished dump and
 * gets back a directory with the same dump, verified. runtime/src/image implements the real
 * thing; `DirectoryImageStore` below is the plain node-to-node copy used until then.
 */
export interface ImageStore {
  build(input: BuildInput): Promise<CheckpointImage>;
  /** What preflight needs, read before the image is fetched. */
  describe(image: CheckpointImage, migrationId: string): Promise<CheckpointDescription>;
  /**
   * Fetches, verifies and unpacks the image into `intoDir`, giving `checkpoint/` (CRIU images)
   * and `spec.dump` (the source's OCI runtime spec). Throws ImageNotFoundError,
   * ImageIntegrityError or ImageDecryptError.
   */
  unpack(image: CheckpointImage, intoDir: string, migrationId: string): Promise<void>;
  release(migrationId: string): Promise<void>;
}

export interface BuildInput {
  checkpoint: Checkpoint;
  /** Directory holding `checkpoint/` (CRIU images), `spec.dump` and `meta.json`. */
  checkpointDir: string;
  targetNode: string;
  /** Where images for the target node are kept. */
  imagesDir: string;
}

/** What the source recorded for preflight (see image/metadata.ts for the packed form). */
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

/** Node-to-node copy of the dump directory, no packing, digest over the metadata only. */
export class DirectoryImageStore implements ImageStore {
  async build(input: BuildInput): Promise<CheckpointImage> {
    const started = performance.now();
    const dir = join(input.imagesDir, input.checkpoint.id);
    await rm(dir, { recursive: true, force: true });
    await mkdir(input.imagesDir, { recursive: true });
    await cp(input.checkpointDir, dir, { recursive: true });
    const meta = await readFile(join(dir, META_FILE));
    return {
      ref: `dir:${dir}`,
      digest: `sha256:${createHash("sha256").update(meta).digest("hex")}`,
      sizeBytes: await duBytes(dir),
      encrypted: false,
      buildMs: 0,
      transferMs: performance.now() - started,
      transfer: "node-to-node",
    };
  }

  async describe(image: CheckpointImage, migrationId: string): Promise<CheckpointDescription> {
    const text = await readFile(join(dirOf(image), META_FILE), "utf8").catch(() => {
      throw new ImageNotFoundError(image.ref, `no checkpoint image at ${image.ref}`, {
        migrationId,
      });
    });
    return (JSON.parse(text) as { description: CheckpointDescription }).description;
  }

  async unpack(image: CheckpointImage, intoDir: string, migrationId: string): Promise<void> {
    await stat(dirOf(image)).catch(() => {
      throw new ImageNotFoundError(image.ref, `no checkpoint image at ${image.ref}`, {
        migrationId,
      });
    });
    await cp(dirOf(image), intoDir, { recursive: true });
  }

  async release(): Promise<void> {}
}

function dirOf(image: CheckpointImage): string {
  return image.ref.replace(/^dir:/, "");
}

export async function duBytes(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  const { readdir } = await import("node:fs/promises");
  let total = 0;
  for (const name of await readdir(path)) total += await duBytes(join(path, name));
  return total;
}
