import { ImageNotFoundError } from "../errors.ts";
import { type Digest, isDigest } from "./digest.ts";
import { blobExists, readBlob, resolveTag, streamBlob } from "./layout.ts";
import { formatRef, type ImageRef } from "./reference.ts";
import { RegistryClient } from "./registry-client.ts";

/**
 * Where a pull reads from, whatever the reference's kind: an OCI layout on this machine or a
 * registry. Returns raw, unverified bytes: pull.ts verifies every one of them.
 */
export interface ImageSource {
  readonly ref: string;
  /** The manifest's bytes and the digest they should have (from the ref, index or registry). */
  manifest(): Promise<{ bytes: Buffer; expected: Digest | undefined }>;
  blob(digest: Digest): Promise<AsyncIterable<Uint8Array>>;
}

export function openSource(
  ref: ImageRef,
  registry?: (host: string) => RegistryClient,
): ImageSource {
  const text = formatRef(ref);
  if (ref.kind === "layout") {
    return {
      ref: text,
      async manifest() {
        let digest = ref.digest;
        if (digest === undefined) {
          const found = await resolveTag(ref.dir, ref.tag as string).catch(() => undefined);
          if (!found)
            throw new ImageNotFoundError(text, `no image tagged ${ref.tag} in ${ref.dir}`);
          digest = found.digest;
        }
        if (!(await blobExists(ref.dir, digest))) {
          throw new ImageNotFoundError(text, `manifest ${digest} is not in ${ref.dir}`);
        }
        return { bytes: await readBlob(ref.dir, digest), expected: digest };
      },
      async blob(digest) {
        if (!(await blobExists(ref.dir, digest))) {
          throw new ImageNotFoundError(text, `blob ${digest} is missing from ${ref.dir}`);
        }
        return streamBlob(ref.dir, digest);
      },
    };
  }
  const client = registry?.(ref.host) ?? new RegistryClient(ref.host);
  return {
    ref: text,
    async manifest() {
      const found = await client.getManifest(ref.repository, ref.digest ?? (ref.tag as string));
      if (!found)
        throw new ImageNotFoundError(text, `registry ${ref.host} has no manifest for ${text}`);
      // A tag alone is trusted only as far as the registry's own digest header goes; refs
      // handed between services carry the digest, which is what makes the check meaningful.
      const header = found.digest && isDigest(found.digest) ? found.digest : undefined;
      return { bytes: found.bytes, expected: ref.digest ?? header };
    },
    async blob(digest) {
      const stream = await client.getBlob(ref.repository, digest);
      if (!stream) throw new ImageNotFoundError(text, `registry ${ref.host} has no blob ${digest}`);
      return stream;
    },
  };
}
