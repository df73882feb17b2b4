import { createHash, type Hash } from "node:crypto";

/** An OCI digest: `sha256:` and 64 lowercase hex digits (the only algorithm we write or accept). */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export function isDigest(value: string): value is Digest {
  return DIGEST_RE.test(value);
}

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** The hex part, for blob paths (`blobs/sha256/<hex>`). */
export function digestHex(digest: Digest): string {
  return digest.slice("sha256:".length);
}

/**
 * Counts and hashes bytes as they stream past, without copying them. Used on both sides of
 * the cipher: the ciphertext digest is the blob's, the plaintext digest is the layer's diff_id.
 */
export class DigestCounter {
  private readonly hash: Hash = createHash("sha256");
  size = 0;

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }

  digest(): Digest {
    return `sha256:${this.hash.digest("hex")}`;
  }

  /** Passes an async stream through, counting and hashing it. */
  async *tap(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.update(chunk);
      yield chunk;
    }
  }
}
