import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { ImageIntegrityError } from "../errors.ts";
import { readUnpacked, type UnpackedCheckpoint } from "./archive.ts";
import { type Digest, sha256 } from "./digest.ts";
import { CrioAnnotation, MediaType, ShadowAnnotation } from "./media-types.ts";
import { type CheckpointMetadata, checkpointMetadataSchema } from "./metadata.ts";
import {
  type Descriptor,
  type ImageConfig,
  imageConfigSchema,
  type Manifest,
  manifestSchema,
} from "./oci.ts";
import { parseRef } from "./reference.ts";
import type { RegistryClient } from "./registry-client.ts";
import { type ImageSource, openSource } from "./source.ts";
import { checkKey, unpackLayer } from "./unpack-layer.ts";

export interface PullOptions {
  /** Directory to unpack into (replaced if present); `<into>/checkpoint` is the dump dir. */
  into: string;
  /** The key the layer was encrypted with. */
  key?: Uint8Array | undefined;
  /** The manifest digest the caller expects (e.g. CheckpointImage.digest). */
  digest?: string | undefined;
  migrationId?: string | undefined;
  /** Registry clients by host (tests and the adapter share one); a new one by default. */
  registry?: (host: string) => RegistryClient;
}

export interface PulledImage extends UnpackedCheckpoint {
  digest: Digest;
  manifest: Manifest;
  config: ImageConfig;
  metadata: CheckpointMetadata;
  layerBytes: number;
  pullMs: number;
}

/**
 * Reads the manifest of an image and checks it: digest, shape, CRI-O checkpoint annotation,
 * metadata. Cheap (no layer), so preflight runs on it before the layer is fetched.
 */
export async function inspectImage(
  ref: string,
  options: Pick<PullOptions, "digest" | "migrationId" | "registry"> = {},
): Promise<{
  source: ImageSource;
  digest: Digest;
  manifest: Manifest;
  metadata: CheckpointMetadata;
}> {
  const source = openSource(parseRef(ref), options.registry);
  const fail = (message: string, cause?: unknown) =>
    new ImageIntegrityError(ref, message, { migrationId: options.migrationId, cause });
  const { bytes, expected } = await source.manifest();
  const digest = sha256(bytes);
  for (const want of [expected, options.digest]) {
    if (want !== undefined && want !== digest)
      throw fail(`manifest digest is ${digest}, expected ${want}`);
  }
  let manifest: Manifest;
  let metadata: CheckpointMetadata;
  try {
    manifest = manifestSchema.parse(JSON.parse(bytes.toString("utf8")));
    metadata = checkpointMetadataSchema.parse(
      JSON.parse(manifest.annotations?.[ShadowAnnotation.metadata] ?? "null"),
    );
  } catch (error) {
    throw fail("manifest is not a shadow checkpoint image manifest", error);
  }
  if (!manifest.annotations?.[CrioAnnotation.name])
    throw fail(`manifest lacks ${CrioAnnotation.name}`);
  if (manifest.layers.length !== 1)
    throw fail(`a checkpoint image has one layer, this has ${manifest.layers.length}`);
  return { source, digest, manifest, metadata };
}

/**
 * Pulls a checkpoint image and unpacks it, verifying everything before anything is usable:
 * the manifest's digest, the config's digest and size, the layer's digest and size, every
 * encrypted frame's tag and the decrypted archive's diff_id. The archive is extracted into a
 * staging directory that becomes `into` only once all of that held; on any failure it is
 * removed and a typed error says why (ImageNotFoundError, ImageIntegrityError,
 * ImageDecryptError).
 */
export async function pullImage(ref: string, options: PullOptions): Promise<PulledImage> {
  const started = performance.now();
  const { source, digest, manifest, metadata } = await inspectImage(ref, options);
  const opts = { migrationId: options.migrationId };
  const layer = manifest.layers[0] as Descriptor;
  const encrypted = layer.mediaType === MediaType.encryptedLayer;
  if (!encrypted && layer.mediaType !== MediaType.layer) {
    throw new ImageIntegrityError(ref, `unexpected layer media type ${layer.mediaType}`, opts);
  }
  if (encrypted) checkKey(ref, layer, options.key, options.migrationId);

  const configBytes = await readAll(await source.blob(manifest.config.digest));
  if (
    configBytes.length !== manifest.config.size ||
    sha256(configBytes) !== manifest.config.digest
  ) {
    throw new ImageIntegrityError(
      ref,
      `config blob does not match ${manifest.config.digest}`,
      opts,
    );
  }
  let config: ImageConfig;
  try {
    config = imageConfigSchema.parse(JSON.parse(configBytes.toString("utf8")));
  } catch (error) {
    throw new ImageIntegrityError(ref, "config blob is not an OCI image config", {
      ...opts,
      cause: error,
    });
  }
  const diffId = config.rootfs.diff_ids[0];
  if (config.rootfs.diff_ids.length !== 1 || diffId === undefined) {
    throw new ImageIntegrityError(ref, "config does not name exactly one layer", opts);
  }

  const staging = `${options.into}.partial-${randomBytes(6).toString("hex")}`;
  await mkdir(staging, { recursive: true });
  try {
    await unpackLayer(
      ref,
      await source.blob(layer.digest),
      layer,
      diffId,
      staging,
      options,
      encrypted,
    );
    await rm(options.into, { recursive: true, force: true });
    await rename(staging, options.into);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const unpacked = await readUnpacked(options.into);
  return {
    ...unpacked,
    digest,
    manifest,
    config,
    metadata,
    layerBytes: layer.size,
    pullMs: performance.now() - started,
  };
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}
