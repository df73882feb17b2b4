import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";
import { sha256 } from "./layer.ts";

/** How a container of the image starts (the OCI image config's `config`). */
export interface RunConfig {
  entrypoint: string[];
  env: string[];
  workingDir: string;
  /** uid:gid; the images hold no /etc/passwd entry they would need a name for. */
  user: string;
  labels: Record<string, string>;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** An image's manifest and config, built from its layers' descriptors. */
export interface AssembledImage {
  ref: string;
  config: Buffer;
  manifest: Buffer;
  manifestDigest: string;
  layers: Descriptor[];
}

export const mediaTypes = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar",
} as const;

/**
 * The config and manifest of an image. No creation time and no history: they would make the
 * same inputs give another digest. JSON with a fixed key order (the objects' literal order).
 */
export function assembleImage(
  ref: string,
  run: RunConfig,
  layers: { digest: string; size: number }[],
): AssembledImage {
  const config = json({
    architecture: "amd64",
    os: "linux",
    config: {
      User: run.user,
      Env: run.env,
      Entrypoint: run.entrypoint,
      WorkingDir: run.workingDir,
      Labels: sortedObject(run.labels),
    },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
  });
  const layerDescriptors = layers.map((l) => ({
    mediaType: mediaTypes.layer,
    digest: l.digest,
    size: l.size,
  }));
  const manifest = json({
    schemaVersion: 2,
    mediaType: mediaTypes.manifest,
    config: { mediaType: mediaTypes.config, digest: sha256(config), size: config.length },
    layers: layerDescriptors,
  });
  return { ref, config, manifest, manifestDigest: sha256(manifest), layers: layerDescriptors };
}

/**
 * Content-addressed blobs in a directory laid out as an OCI image layout's `blobs/sha256`, so
 * a blob written once (the Node layer every image shares) is stored once.
 */
export class BlobStore {
  constructor(readonly dir: string) {}

  path(digest: string): string {
    return join(this.dir, "blobs", "sha256", digest.replace(/^sha256:/, ""));
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.path(digest)).then(
      () => true,
      () => false,
    );
  }

  /** Stores `bytes` (unless held already) and returns their digest. */
  async put(bytes: Uint8Array, digest = sha256(bytes)): Promise<string> {
    if (await this.has(digest)) return digest;
    const path = this.path(digest);
    await mkdir(join(this.dir, "blobs", "sha256"), { recursive: true });
    await writeFile(`${path}.tmp`, bytes);
    await rename(`${path}.tmp`, path);
    return digest;
  }
}

/**
 * One OCI image layout in a tar holding every image, each manifest named by the annotation
 * containerd's import reads (`io.containerd.image.name`). Blobs the images share are in it
 * once. Its bytes depend on the images alone (images in the order given, blobs sorted).
 */
export async function writeLayoutArchive(
  out: string,
  images: AssembledImage[],
  blobs: BlobStore,
): Promise<{ bytes: number; digests: string[] }> {
  const index = json({
    schemaVersion: 2,
    mediaType: mediaTypes.index,
    manifests: images.map((image) => ({
      mediaType: mediaTypes.manifest,
      digest: image.manifestDigest,
      size: image.manifest.length,
      platform: { architecture: "amd64", os: "linux" },
      annotations: {
        "io.containerd.image.name": image.ref,
        "org.opencontainers.image.ref.name": image.ref.replace(/.*:/, ""),
      },
    })),
  });
  const digests = new Set<string>();
  for (const image of images) {
    digests.add(await blobs.put(image.manifest));
    digests.add(await blobs.put(image.config));
    for (const layer of image.layers) digests.add(layer.digest);
  }
  const sorted = [...digests].sort();
  const tar = pack();
  const epoch = { mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "", mode: 0o644 };
  const written = pipeline(tar, createWriteStream(`${out}.tmp`));
  tar.entry({ ...epoch, name: "oci-layout" }, Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  tar.entry({ ...epoch, name: "index.json" }, index);
  tar.entry({ ...epoch, name: "blobs/", type: "directory", mode: 0o755 });
  tar.entry({ ...epoch, name: "blobs/sha256/", type: "directory", mode: 0o755 });
  for (const digest of sorted) {
    const path = blobs.path(digest);
    const { size } = await stat(path);
    const sink = tar.entry({ ...epoch, name: `blobs/sha256/${digest.slice(7)}`, size });
    await pipeline(createReadStream(path), sink);
  }
  tar.finalize();
  await written;
  await rename(`${out}.tmp`, out);
  return { bytes: (await stat(out)).size, digests: sorted };
}

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function sortedObject(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}
