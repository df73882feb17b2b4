import {
  ImageDecryptError,
  ImageIntegrityError,
  RegistryUnavailableError,
  RuntimeError,
} from "../errors.ts";
import { CipherError, decryptStream } from "./cipher.ts";
import { type Digest, DigestCounter } from "./digest.ts";
import { keyId } from "./key.ts";
import { ENC_SCHEME, ShadowAnnotation } from "./media-types.ts";
import type { Descriptor } from "./oci.ts";
import { extractTar } from "./tar-read.ts";

/** The layer half of a pull: key checks, then one streaming pass that verifies and unpacks. */

export interface LayerOptions {
  key?: Uint8Array | undefined;
  migrationId?: string | undefined;
}

export function checkKey(
  ref: string,
  layer: Descriptor,
  key: Uint8Array | undefined,
  migrationId?: string,
) {
  const scheme = layer.annotations?.[ShadowAnnotation.encScheme];
  if (scheme !== ENC_SCHEME) {
    throw new ImageDecryptError(ref, `unknown encryption scheme ${scheme ?? "(none)"}`, {
      migrationId,
    });
  }
  if (key === undefined)
    throw new ImageDecryptError(ref, "the layer is encrypted and no key was given", {
      migrationId,
    });
  const want = layer.annotations?.[ShadowAnnotation.encKeyId];
  if (want !== undefined && want !== keyId(key)) {
    throw new ImageDecryptError(
      ref,
      `the layer was encrypted with key ${want}, ours is ${keyId(key)}`,
      { migrationId },
    );
  }
}

/**
 * Streams the layer through: blob digest → decrypt → diff_id digest → tar extraction. When
 * a stage fails midway, the rest of the blob is still read through the digest, so a tampered
 * blob is reported as tampered (ImageIntegrityError) rather than as whatever stage choked.
 */
export async function unpackLayer(
  ref: string,
  stream: AsyncIterable<Uint8Array>,
  layer: Descriptor,
  diffId: Digest,
  dir: string,
  options: LayerOptions,
  encrypted: boolean,
): Promise<void> {
  const opts = { migrationId: options.migrationId };
  const raw = stream[Symbol.asyncIterator]();
  const blob = new DigestCounter();
  let overrun = false;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = await raw.next();
      if (next.done) return;
      blob.update(next.value);
      // Never read more than the manifest promised: a padded blob is a tampered blob.
      if (blob.size > layer.size) {
        overrun = true;
        throw new Error("layer longer than its descriptor says");
      }
      yield next.value;
    }
  }
  const plain = new DigestCounter();
  const bytes = encrypted ? decryptStream(counted(), options.key as Uint8Array) : counted();
  // Unencrypted, the archive is the blob: its digest is checked already, hash it once.
  const archive = encrypted ? plain.tap(bytes) : bytes;
  let failure: unknown;
  try {
    await extractTar(archive, dir);
    // The tar reader stops at the first end block: read the rest of the same stream, so
    // every frame is authenticated and the diff_id covers every byte.
    for await (const _ of archive) {
      // drained
    }
  } catch (error) {
    failure = error;
    if (!overrun) {
      try {
        for (let next = await raw.next(); !next.done; next = await raw.next())
          blob.update(next.value);
      } catch (readError) {
        // The source itself broke (registry gone mid-stream): worth another try later.
        throw new RegistryUnavailableError(`reading ${ref} failed midway`, {
          ...opts,
          cause: readError,
        });
      }
    }
  }
  // Release the source (a registry connection) if the stream was left unfinished.
  await raw.return?.();
  if (overrun || blob.size !== layer.size || blob.digest() !== layer.digest) {
    throw new ImageIntegrityError(ref, `layer blob does not match ${layer.digest}`, {
      ...opts,
      cause: failure,
    });
  }
  if (!encrypted && layer.digest !== diffId) {
    throw new ImageIntegrityError(ref, `plain layer ${layer.digest}, config says ${diffId}`, opts);
  }
  if (failure instanceof CipherError) {
    throw new ImageDecryptError(ref, failure.message, { ...opts, cause: failure });
  }
  if (failure !== undefined) {
    throw new RuntimeError(
      "IMAGE_UNPACK",
      `cannot unpack ${ref}: ${(failure as Error).message}`,
      false,
      {
        ...opts,
        cause: failure,
      },
    );
  }
  if (encrypted && plain.digest() !== diffId) {
    throw new ImageIntegrityError(
      ref,
      `decrypted layer is ${plain.digest()}, config says ${diffId}`,
      opts,
    );
  }
}
