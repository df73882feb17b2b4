import { rm } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { planArchive } from "./archive.ts";
import { DEFAULT_CHUNK_BYTES, encryptStream } from "./cipher.ts";
import { type Digest, DigestCounter } from "./digest.ts";
import { keyId } from "./key.ts";
import { initLayout, tagManifest, writeBlob } from "./layout.ts";
import {
  CrioAnnotation,
  CriuAnnotation,
  ENC_SCHEME,
  MediaType,
  OciAnnotation,
  ShadowAnnotation,
} from "./media-types.ts";
import {
  type CheckpointMetadata,
  type CheckpointMetadataInput,
  checkpointMetadataSchema,
} from "./metadata.ts";
import { type Descriptor, type ImageConfig, jsonBytes, type Manifest } from "./oci.ts";
import { formatRef } from "./reference.ts";
import { writeTar } from "./tar-write.ts";

export interface BuildOptions {
  /** The OCI image layout directory to write; an existing one there is replaced. */
  layoutDir: string;
  /** Tag inside the layout (default `checkpoint`). */
  tag?: string;
  /** Encrypt the layer with this 32-byte key (see cipher.ts); plain when absent. */
  key?: Uint8Array | undefined;
  /** Plaintext bytes per encrypted frame. */
  chunkBytes?: number;
  /** The container's OCI runtime spec, stored as `spec.dump`. */
  specDump?: unknown;
  rootfsDiffTar?: string | undefined;
  /** CRIU's stats-dump (runc leaves it in the checkpoint's work dir). */
  statsDump?: string | undefined;
  /** More manifest annotations (an adapter's own, e.g. what it needs to recreate the source). */
  annotations?: Record<string, string> | undefined;
}

export interface BuiltImage {
  /** `oci:<layoutDir>:<tag>@<manifest digest>`. */
  ref: string;
  layoutDir: string;
  tag: string;
  /** The manifest's digest: what every pull of this image verifies first. */
  digest: Digest;
  manifest: Manifest;
  metadata: CheckpointMetadata;
  /** Manifest, config and layer together. */
  sizeBytes: number;
  layerBytes: number;
  encrypted: boolean;
  buildMs: number;
}

/**
 * Packs a CRIU dump directory as an OCI checkpoint image: the CRI-O checkpoint archive as the
 * one layer (encrypted when a key is given), an image config whose diff_id is the digest of
 * the plaintext archive, and a manifest with CRI-O's checkpoint annotations and the
 * checkpoint metadata that preflight reads.
 *
 * @example
 * const image = await buildCheckpointImage("/var/lib/shadow/nodes/node-a/dumps/m-1", meta, {
 *   layoutDir: "/var/lib/shadow/nodes/node-a/images/m-1", key,
 * });
 * // image.ref === "oci:/var/lib/shadow/nodes/node-a/images/m-1:checkpoint@sha256:..."
 */
export async function buildCheckpointImage(
  dumpDir: string,
  meta: CheckpointMetadataInput,
  options: BuildOptions,
): Promise<BuiltImage> {
  const started = performance.now();
  const tag = options.tag ?? "checkpoint";
  const createdAt = meta.createdAt ?? new Date().toISOString();
  const plan = await planArchive({
    dumpDir,
    configDump: {
      id: meta.name,
      name: meta.name,
      rootfsImageName: meta.rootfsImageName ?? "",
      runtime: meta.runtime ?? "runc",
      createdTime: createdAt,
      checkpointedTime: createdAt,
    },
    specDump: options.specDump,
    rootfsDiffTar: options.rootfsDiffTar,
    statsDump: options.statsDump,
  });
  const metadata = checkpointMetadataSchema.parse({
    ...meta,
    schema: 1,
    createdAt,
    dumpBytes: plan.dumpBytes,
  });

  await rm(options.layoutDir, { recursive: true, force: true });
  await initLayout(options.layoutDir);

  const encrypted = options.key !== undefined;
  // Unencrypted, the layer is the archive: its blob digest is its diff_id, one hash is enough.
  const plain = new DigestCounter();
  const archive = encrypted ? plain.tap(writeTar(plan.entries)) : writeTar(plan.entries);
  const layerBytes = options.key
    ? encryptStream(archive, options.key, options.chunkBytes ?? DEFAULT_CHUNK_BYTES)
    : archive;
  const layer = await writeBlob(options.layoutDir, layerBytes);
  const layerDescriptor: Descriptor = {
    mediaType: encrypted ? MediaType.encryptedLayer : MediaType.layer,
    digest: layer.digest,
    size: layer.size,
    ...(options.key && {
      annotations: {
        [ShadowAnnotation.encScheme]: ENC_SCHEME,
        [ShadowAnnotation.encKeyId]: keyId(options.key),
      },
    }),
  };

  const config: ImageConfig = {
    created: createdAt,
    architecture: metadata.arch,
    os: "linux",
    config: { Labels: { [CrioAnnotation.name]: metadata.name } },
    // ocicrypt's rule: diff_ids name the decrypted layer, so they are checked after decrypting.
    rootfs: { type: "layers", diff_ids: [encrypted ? plain.digest() : layer.digest] },
    history: [
      { created: createdAt, created_by: "shadow checkpoint", comment: metadata.migrationId },
    ],
  };
  const configBlob = await writeBlob(options.layoutDir, jsonBytes(config));

  const annotations: Record<string, string> = {
    ...options.annotations,
    [CrioAnnotation.name]: metadata.name,
    [CrioAnnotation.criuVersion]: metadata.criuVersion,
    [OciAnnotation.created]: createdAt,
    [ShadowAnnotation.migrationId]: metadata.migrationId,
    [ShadowAnnotation.metadata]: JSON.stringify(metadata),
  };
  if (metadata.rootfsImageName) {
    annotations[CrioAnnotation.rootfsImageName] = metadata.rootfsImageName;
    annotations[CrioAnnotation.rawImageName] = metadata.rootfsImageName;
  }
  const criu = criuAnnotations(metadata);
  Object.assign(annotations, criu);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.manifest,
    config: { mediaType: MediaType.config, digest: configBlob.digest, size: configBlob.size },
    layers: [layerDescriptor],
    annotations,
  };
  const manifestBlob = await writeBlob(options.layoutDir, jsonBytes(manifest));
  // The index names the manifest with the engine-neutral keys too, so a reader of the layout
  // alone (checkpointctl, an engine importing it) sees a checkpoint without opening the manifest.
  await tagManifest(
    options.layoutDir,
    tag,
    { mediaType: MediaType.manifest, ...manifestBlob },
    criu,
  );

  return {
    ref: formatRef({ kind: "layout", dir: options.layoutDir, tag, digest: manifestBlob.digest }),
    layoutDir: options.layoutDir,
    tag,
    digest: manifestBlob.digest,
    manifest,
    metadata,
    sizeBytes: manifestBlob.size + configBlob.size + layer.size,
    layerBytes: layer.size,
    encrypted,
    buildMs: performance.now() - started,
  };
}

/** The `org.criu.checkpoint.*` family for an image's metadata (see media-types.ts). */
export function criuAnnotations(metadata: CheckpointMetadata): Record<string, string> {
  const annotations: Record<string, string> = {
    [CriuAnnotation.containerName]: metadata.name,
    [CriuAnnotation.criuVersion]: metadata.criuVersion,
    [CriuAnnotation.hostArch]: metadata.arch,
    [CriuAnnotation.hostKernel]: metadata.kernel,
    [CriuAnnotation.runtimeName]: metadata.runtime,
    [CriuAnnotation.engineName]: metadata.engine ?? "shadow",
  };
  if (metadata.rootfsImageName) {
    annotations[CriuAnnotation.rootfsImageName] = metadata.rootfsImageName;
    annotations[CriuAnnotation.rawImageName] = metadata.rootfsImageName;
  }
  if (metadata.pod) {
    annotations[CriuAnnotation.podName] = metadata.pod.name;
    annotations[CriuAnnotation.podNamespace] = metadata.pod.namespace;
  }
  return annotations;
}
