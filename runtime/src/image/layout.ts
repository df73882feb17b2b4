import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Digest, DigestCounter, digestHex } from "./digest.ts";
import { FileSink } from "./file-sink.ts";
import { MediaType, OciAnnotation } from "./media-types.ts";
import { type Descriptor, type ImageIndex, indexSchema, jsonBytes } from "./oci.ts";

/**
 * An OCI image layout directory (image-spec `image-layout.md`): `oci-layout`, `index.json`
 * and content-addressed `blobs/sha256/<hex>`. Each checkpoint image gets a layout of its own
 * in the node's state directory, so removing an image is removing a directory, and copying
 * one node to node is copying a directory.
 */

export const LAYOUT_FILE = "oci-layout";
export const INDEX_FILE = "index.json";

export function blobPath(layoutDir: string, digest: Digest): string {
  return join(layoutDir, "blobs", "sha256", digestHex(digest));
}

export async function initLayout(layoutDir: string): Promise<void> {
  await mkdir(join(layoutDir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(layoutDir, LAYOUT_FILE), jsonBytes({ imageLayoutVersion: "1.0.0" }));
}

export interface WrittenBlob {
  digest: Digest;
  size: number;
}

/**
 * Streams bytes into the layout as a blob: written under a temporary name while hashed, then
 * renamed to its digest, so a blob path never holds partial content.
 */
export async function writeBlob(
  layoutDir: string,
  source: AsyncIterable<Uint8Array> | Uint8Array,
): Promise<WrittenBlob> {
  const tmp = join(layoutDir, "blobs", `.tmp-${randomBytes(8).toString("hex")}`);
  const counter = new DigestCounter();
  const sink = await FileSink.create(tmp, 0o600);
  try {
    if (source instanceof Uint8Array) {
      counter.update(source);
      await sink.write(source);
    } else {
      for await (const chunk of source) {
        counter.update(chunk);
        await sink.write(chunk);
      }
    }
    await sink.close();
  } catch (error) {
    await sink.abort();
    await rm(tmp, { force: true });
    throw error;
  }
  const digest = counter.digest();
  await rename(tmp, blobPath(layoutDir, digest));
  return { digest, size: counter.size };
}

export function readBlob(layoutDir: string, digest: Digest): Promise<Buffer> {
  return readFile(blobPath(layoutDir, digest));
}

export function streamBlob(layoutDir: string, digest: Digest): AsyncIterable<Uint8Array> {
  return createReadStream(blobPath(layoutDir, digest), { highWaterMark: 1 << 20 });
}

export async function blobExists(layoutDir: string, digest: Digest): Promise<boolean> {
  return stat(blobPath(layoutDir, digest)).then(
    () => true,
    () => false,
  );
}

export async function readIndex(layoutDir: string): Promise<ImageIndex> {
  const text = await readFile(join(layoutDir, INDEX_FILE), "utf8");
  return indexSchema.parse(JSON.parse(text));
}

/**
 * Points `tag` at a manifest, replacing what the tag named before (written atomically).
 * `annotations` go on the index's entry for the manifest and on the index itself.
 */
export async function tagManifest(
  layoutDir: string,
  tag: string,
  manifest: Descriptor,
  annotations: Record<string, string> = {},
): Promise<void> {
  let index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.index, manifests: [] };
  try {
    index = await readIndex(layoutDir);
  } catch {
    // no index yet: start one
  }
  const others = index.manifests.filter((m) => m.annotations?.[OciAnnotation.refName] !== tag);
  const entry = {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    annotations: { ...annotations, [OciAnnotation.refName]: tag },
  };
  const tmp = join(layoutDir, `.${INDEX_FILE}.tmp`);
  const indexAnnotations = {
    ...(index.annotations as Record<string, string> | undefined),
    ...annotations,
  };
  await writeFile(
    tmp,
    jsonBytes({
      ...index,
      ...(Object.keys(indexAnnotations).length > 0 ? { annotations: indexAnnotations } : {}),
      manifests: [...others, entry],
    }),
  );
  await rename(tmp, join(layoutDir, INDEX_FILE));
}

/** The manifest descriptor a tag names, or undefined. */
export async function resolveTag(layoutDir: string, tag: string): Promise<Descriptor | undefined> {
  const index = await readIndex(layoutDir);
  return index.manifests.find((m) => m.annotations?.[OciAnnotation.refName] === tag);
}
