import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { ByteQueue } from "./byte-queue.ts";

/**
 * Streaming authenticated encryption of a layer: AES-256-GCM in chunks, so a 1 GB layer is
 * never held in memory and every chunk is checked before its plaintext is used.
 *
 * Framing (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, as in age and
 * Tink's streaming AEAD):
 *
 *   header  64 bytes: "SHDWENC1" | chunk size u32 BE | salt (32) | key check (16) | 0 (4)
 *   frame i: AES-256-GCM(chunk i) | tag (16)
 *
 * - per-layer keys: HKDF-SHA256(master key, salt) gives the AES key and a MAC key, so the
 *   nonces below can never repeat across layers encrypted with the same master key;
 * - nonce i = chunk index (11 bytes BE) | final flag (1 byte): swapping or dropping frames
 *   changes the nonce, so the tag fails; cutting the stream at a frame boundary leaves a
 *   last frame that was not sealed as final, so the tag fails too;
 * - every frame authenticates the header as additional data (chunk size, salt);
 * - the key check (HMAC of a constant under the MAC key) tells a wrong key apart from a
 *   damaged stream before any frame is opened.
 *
 * Full frames hold `chunkSize` plaintext bytes; the final frame holds 0..chunkSize. The
 * reader looks one frame ahead: the frame followed by the end of the stream is the final one.
 */

export const DEFAULT_CHUNK_BYTES = 1 << 20;
const MAGIC = Buffer.from("SHDWENC1", "ascii");
const HEADER_BYTES = 64;
const TAG_BYTES = 16;
const MAX_CHUNK_BYTES = 64 << 20;

export type CipherFailure = "wrong-key" | "corrupt" | "format";

export class CipherError extends Error {
  constructor(
    readonly failure: CipherFailure,
    message: string,
  ) {
    super(message);
  }
}

interface LayerKeys {
  aesKey: Buffer;
  check: Buffer;
}

/** HKDF info of an image layer; other uses of the framing name their own (see `CipherContext`). */
const LAYER_INFO = "shadow image layer v1";

/**
 * What a stream is for, bound into its keys: a stream sealed for one purpose (say, the dump of
 * one checkpoint) fails authentication when it is opened for another, even under the same
 * master key. Absent: an image layer.
 */
export type CipherContext = string | undefined;

function deriveKeys(masterKey: Uint8Array, salt: Uint8Array, context: CipherContext): LayerKeys {
  const info = context === undefined ? LAYER_INFO : `${LAYER_INFO}\u0000${context}`;
  const okm = Buffer.from(hkdfSync("sha256", masterKey, salt, info, 64));
  const macKey = okm.subarray(32, 64);
  const check = createHmac("sha256", macKey).update("shadow key check").digest().subarray(0, 16);
  return { aesKey: okm.subarray(0, 32), check };
}

function nonce(index: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(index, 5, 6); // 48 bits of index are plenty: 2^48 MiB chunks
  n[11] = final ? 1 : 0;
  return n;
}

/** Encrypts a byte stream; `chunkBytes` plaintext bytes per frame. */
export async function* encryptStream(
  source: AsyncIterable<Uint8Array>,
  masterKey: Uint8Array,
  chunkBytes = DEFAULT_CHUNK_BYTES,
  context?: CipherContext,
): AsyncGenerator<Uint8Array> {
  if (masterKey.length !== 32) throw new CipherError("format", "the key must be 32 bytes");
  if (chunkBytes <= 0 || chunkBytes > MAX_CHUNK_BYTES)
    throw new CipherError("format", "bad chunk size");
  const salt = randomBytes(32);
  const keys = deriveKeys(masterKey, salt, context);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(chunkBytes, 8);
  salt.copy(header, 12);
  keys.check.copy(header, 44);
  yield header;

  let index = 0;
  const seal = (parts: Buffer[], final: boolean): Buffer[] => {
    const cipher = createCipheriv("aes-256-gcm", keys.aesKey, nonce(index++, final));
    cipher.setAAD(header);
    const out = parts.map((p) => cipher.update(p));
    out.push(cipher.final(), cipher.getAuthTag());
    return out;
  };

  // Hold up to one chunk plus one byte: a full chunk is sealed as non-final only once we know
  // more data follows it.
  const queue = new ByteQueue(source);
  for (;;) {
    const more = await queue.fill(chunkBytes + 1);
    if (!more) break;
    const parts: Buffer[] = [];
    for await (const piece of queue.stream(chunkBytes)) parts.push(piece);
    yield* seal(parts, false);
  }
  yield* seal([await queue.readUpTo(chunkBytes)], true);
}

/** Decrypts what `encryptStream` wrote; throws CipherError on any mismatch. */
export async function* decryptStream(
  source: AsyncIterable<Uint8Array>,
  masterKey: Uint8Array,
  context?: CipherContext,
): AsyncGenerator<Uint8Array> {
  const queue = new ByteQueue(source);
  const header = await queue.read(HEADER_BYTES);
  if (header === undefined || !header.subarray(0, 8).equals(MAGIC)) {
    throw new CipherError("format", "not a shadow encrypted layer (bad header)");
  }
  const chunkBytes = header.readUInt32BE(8);
  if (chunkBytes === 0 || chunkBytes > MAX_CHUNK_BYTES)
    throw new CipherError("format", "bad chunk size");
  if (masterKey.length !== 32) throw new CipherError("wrong-key", "the key must be 32 bytes");
  const keys = deriveKeys(masterKey, header.subarray(12, 44), context);
  if (!timingSafeEqual(keys.check, header.subarray(44, 60))) {
    // The check is derived with the context too: another purpose reads as another key.
    throw new CipherError(
      "wrong-key",
      "the layer was encrypted with another key or for another use",
    );
  }
  const frameBytes = chunkBytes + TAG_BYTES;
  for (let index = 0; ; index++) {
    // A frame is final when nothing follows it; look one byte past it to find out. The
    // frame's pieces go through the decipher as they are (no joining into one buffer), and
    // its plaintext is released only once the tag checked out.
    const final = !(await queue.fill(frameBytes + 1));
    const length = final ? queue.buffered : frameBytes;
    if (length < TAG_BYTES) throw new CipherError("corrupt", "encrypted layer is truncated");
    const decipher = createDecipheriv("aes-256-gcm", keys.aesKey, nonce(index, final));
    decipher.setAAD(header);
    const plain: Buffer[] = [];
    for await (const piece of queue.stream(length - TAG_BYTES)) plain.push(decipher.update(piece));
    decipher.setAuthTag((await queue.read(TAG_BYTES)) as Buffer);
    try {
      decipher.final();
    } catch {
      throw new CipherError("corrupt", `encrypted layer frame ${index} fails authentication`);
    }
    for (const piece of plain) if (piece.length > 0) yield piece;
    if (final) return;
  }
}
