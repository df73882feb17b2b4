import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CipherError, decryptStream, encryptStream } from "./cipher.ts";

const CHUNK = 4096;
const HEADER = 64;
const FRAME = CHUNK + 16;

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

async function* pieces(bytes: Buffer, size = 1000): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const encrypt = (plain: Buffer, key: Buffer) => collect(encryptStream(pieces(plain), key, CHUNK));
const decrypt = (sealed: Buffer, key: Buffer) => collect(decryptStream(pieces(sealed, 777), key));

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CipherError);
  return (error as CipherError).failure;
}

describe("chunked AES-256-GCM", () => {
  const key = randomBytes(32);

  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17])(
    "round-trips %i bytes",
    async (size) => {
      const plain = randomBytes(size);
      const sealed = await encrypt(plain, key);
      expect(sealed.length).toBe(HEADER + size + 16 * Math.max(1, Math.ceil(size / CHUNK)));
      expect((await decrypt(sealed, key)).equals(plain)).toBe(true);
    },
  );

  it("gives different ciphertext for the same plaintext (fresh salt per layer)", async () => {
    const plain = randomBytes(100);
    expect((await encrypt(plain, key)).equals(await encrypt(plain, key))).toBe(false);
  });

  it("names a wrong key before opening any frame", async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK), key);
    expect(await failure(decrypt(sealed, randomBytes(32)))).toBe("wrong-key");
  });

  it("detects a flipped byte in any frame, tag included", async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK + 5), key);
    for (const at of [HEADER, HEADER + FRAME + 100, HEADER + 2 * FRAME - 1, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = (bad[at] as number) ^ 0x01;
      expect(await failure(decrypt(bad, key))).toBe("corrupt");
    }
  });

  it("detects truncation at a frame boundary", async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK + 5), key);
    expect(await failure(decrypt(sealed.subarray(0, HEADER + 2 * FRAME), key))).toBe("corrupt");
    expect(await failure(decrypt(sealed.subarray(0, HEADER), key))).toBe("corrupt");
  });

  it("detects truncation inside a frame", async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK), key);
    expect(await failure(decrypt(sealed.subarray(0, sealed.length - 5), key))).toBe("corrupt");
  });

  it("detects reordered frames", async () => {
    const sealed = await encrypt(randomBytes(3 * CHUNK + 5), key);
    const f = (i: number) => sealed.subarray(HEADER + i * FRAME, HEADER + (i + 1) * FRAME);
    const swapped = Buffer.concat([
      sealed.subarray(0, HEADER),
      f(1),
      f(0),
      sealed.subarray(HEADER + 2 * FRAME),
    ]);
    expect(await failure(decrypt(swapped, key))).toBe("corrupt");
  });

  it("detects frames appended after the final one", async () => {
    const sealed = await encrypt(randomBytes(CHUNK), key);
    const extended = Buffer.concat([sealed, sealed.subarray(HEADER)]);
    expect(await failure(decrypt(extended, key))).toBe("corrupt");
  });

  it("refuses what is not an encrypted layer", async () => {
    expect(await failure(decrypt(randomBytes(200), key))).toBe("format");
  });
});
