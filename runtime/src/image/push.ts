import { performance } from "node:perf_hooks";
import { ImageIntegrityError } from "../errors.ts";
import { type Digest, sha256 } from "./digest.ts";
import { blobPath, readBlob } from "./layout.ts";
import { MediaType } from "./media-types.ts";
import { manifestSchema } from "./oci.ts";
import { formatRef, parseRef } from "./reference.ts";
import { type BlobSource, DEFAULT_UPLOAD_CHUNK_BYTES, RegistryClient } from "./registry-client.ts";
import { openSource } from "./source.ts";

export interface PushTarget {
  /** Registry host, e.g. `127.0.0.1:5000`. */
  registry: string;
  repository: string;
  tag: string;
}

export interface PushOptions {
  /** Blobs larger than this are uploaded in PATCH chunks of this size. */
  chunkBytes?: number;
  client?: RegistryClient;
}

export interface PushedImage {
  /** `host/repository:tag@digest`: the reference to hand to whoever pulls. */
  ref: string;
  digest: Digest;
  /** Bytes sent (blobs the registry already had are skipped). */
  uploadedBytes: number;
  skippedBlobs: number;
  pushMs: number;
}

/**
 * Pushes an image from an OCI layout (`oci:<dir>:<tag>`, what buildCheckpointImage returns)
 * to a registry: blobs first (HEAD skips those present), the manifest last, so the tag never
 * names an image whose blobs are not all there.
 */
export async function pushImage(
  layoutRef: string,
  target: PushTarget,
  options: PushOptions = {},
): Promise<PushedImage> {
  const started = performance.now();
  const ref = parseRef(layoutRef);
  if (ref.kind !== "layout")
    throw new Error(`pushImage pushes from an OCI layout, not ${layoutRef}`);
  const { bytes, expected } = await openSource(ref).manifest();
  const digest = sha256(bytes);
  if (expected !== undefined && expected !== digest) {
    throw new ImageIntegrityError(layoutRef, `manifest digest is ${digest}, expected ${expected}`);
  }
  const manifest = manifestSchema.parse(JSON.parse(bytes.toString("utf8")));
  const client = options.client ?? new RegistryClient(target.registry);
  let uploadedBytes = 0;
  let skippedBlobs = 0;
  for (const blob of [manifest.config, ...manifest.layers]) {
    // Small blobs are read and checked here; big ones are streamed and the registry
    // verifies their digest on the closing PUT.
    let from: BlobSource["from"] = { path: blobPath(ref.dir, blob.digest) };
    if (blob.size <= 1 << 20) {
      const bytes = await readBlob(ref.dir, blob.digest);
      if (sha256(bytes) !== blob.digest) {
        throw new ImageIntegrityError(layoutRef, `blob ${blob.digest} in the layout is damaged`);
      }
      from = { bytes };
    }
    const sent = await client.pushBlob(
      target.repository,
      { digest: blob.digest, size: blob.size, from },
      {
        chunkBytes: options.chunkBytes ?? DEFAULT_UPLOAD_CHUNK_BYTES,
      },
    );
    if (sent) uploadedBytes += blob.size;
    else skippedBlobs++;
  }
  await client.putManifest(
    target.repository,
    target.tag,
    bytes,
    manifest.mediaType ?? MediaType.manifest,
  );
  uploadedBytes += bytes.length;
  return {
    ref: formatRef({
      kind: "registry",
      host: target.registry,
      repository: target.repository,
      tag: target.tag,
      digest,
    }),
    digest,
    uploadedBytes,
    skippedBlobs,
    pushMs: performance.now() - started,
  };
}
