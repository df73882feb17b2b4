import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ImageNotFoundError } from "../errors.ts";
import { INDEX_FILE, LAYOUT_FILE } from "./layout.ts";
import { formatRef, parseRef } from "./reference.ts";

export interface TransferredImage {
  /** The same image, now in the target's layout: `oci:<targetDir>:<tag>@<digest>`. */
  ref: string;
  bytes: number;
  transferMs: number;
}

/**
 * Node-to-node transfer without the registry: copies the image's OCI layout from the source
 * node's state directory to the target's. Blobs first, `index.json` last and the directory
 * renamed into place at the end, so the target never sees a layout that names blobs it does
 * not have. Nothing is verified here: the pull on the target verifies every digest.
 *
 * On one machine the "wire" is the file system (copy_file_range, reflinks where the file
 * system has them); between machines the same layout would travel over the page server or
 * rsync.
 */
export async function transferNodeToNode(
  layoutRef: string,
  targetDir: string,
): Promise<TransferredImage> {
  const started = performance.now();
  const ref = parseRef(layoutRef);
  if (ref.kind !== "layout")
    throw new Error(`node-to-node transfer copies an OCI layout, not ${layoutRef}`);
  if (!(await stat(join(ref.dir, INDEX_FILE)).catch(() => undefined))) {
    throw new ImageNotFoundError(layoutRef, `no OCI layout at ${ref.dir}`);
  }
  const staging = `${targetDir}.partial-${randomBytes(6).toString("hex")}`;
  let bytes = 0;
  try {
    const blobs = join(ref.dir, "blobs", "sha256");
    await mkdir(join(staging, "blobs", "sha256"), { recursive: true });
    for (const name of await readdir(blobs)) {
      if (name.startsWith(".")) continue; // a build's temporary file, not a blob
      await copyFile(join(blobs, name), join(staging, "blobs", "sha256", name));
      bytes += (await stat(join(blobs, name))).size;
    }
    await copyFile(join(ref.dir, LAYOUT_FILE), join(staging, LAYOUT_FILE));
    await copyFile(join(ref.dir, INDEX_FILE), join(staging, INDEX_FILE));
    await rm(targetDir, { recursive: true, force: true });
    await rename(staging, targetDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return {
    ref: formatRef({ ...ref, dir: targetDir }),
    bytes,
    transferMs: performance.now() - started,
  };
}
