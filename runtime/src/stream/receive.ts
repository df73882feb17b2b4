import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { ImageDecryptError, ImageIntegrityError, RuntimeError } from "../errors.ts";
import { ByteQueue } from "../image/byte-queue.ts";
import { CipherError, decryptStream } from "../image/cipher.ts";
import type { Digest } from "../image/digest.ts";
import { FileSink } from "../image/file-sink.ts";
import {
  type EndRecord,
  extentBytes,
  extentsValid,
  type FileRecord,
  IndexHash,
  MAX_HEADER_BYTES,
  type StreamRecord,
  streamContext,
  streamRecord,
} from "./format.ts";

export interface ReceiveOptions {
  /** Directory the dump lands in (replaced), only once all of it arrived and checked out. */
  into: string;
  key: Uint8Array;
  checkpointId: string;
  /** The index digest the stream must have (the image's digest). */
  index: Digest;
  migrationId?: string | undefined;
  /** Names the stream in errors. */
  ref: string;
}

export interface ReceivedDump {
  files: number;
  bytes: number;
  receiveMs: number;
}

/** Thrown inside the receiver for a stream that is not what it claims; mapped at the end. */
class Refused extends Error {}

/**
 * The target's side of the dump stream: decrypts and checks every frame as it arrives, writes
 * each file's extents straight into a staging directory beside `into` (no archive, nothing to
 * unpack afterwards), and renames it to `into` once the `end` record matched what arrived and
 * the index the caller expects. A stream cut off, tampered with, sealed for another checkpoint
 * or under another key is refused: ImageIntegrityError or ImageDecryptError, and nothing of it
 * is left.
 */
export async function receiveDump(
  stream: AsyncIterable<Uint8Array>,
  options: ReceiveOptions,
): Promise<ReceivedDump> {
  const started = performance.now();
  const staging = `${options.into}.partial-${randomBytes(6).toString("hex")}`;
  await mkdir(staging, { recursive: true });
  try {
    const queue = new ByteQueue(
      decryptStream(stream, options.key, streamContext(options.checkpointId)),
    );
    const index = new IndexHash(options.checkpointId);
    let files = 0;
    let bytes = 0;
    let end: EndRecord | undefined;
    while (!end) {
      const record = await nextRecord(queue);
      if (record.kind === "end") {
        end = record;
        break;
      }
      if (!extentsValid(record)) throw new Refused(`${record.name}: extents outside the file`);
      index.add(record);
      await writeFile(queue, join(staging, record.name), record);
      files += 1;
      bytes += extentBytes(record);
    }
    // Authenticated frames cannot be reordered or dropped, but a sender may still have sent
    // something other than what the image promised: the index tells.
    if (!(await queue.atEnd())) throw new Refused("data after the end record");
    const digest = index.digest();
    if (end.files !== files || end.bytes !== bytes || end.index !== digest)
      throw new Refused("the end record does not match what arrived");
    if (digest !== options.index)
      throw new Refused(`stream ${digest} is not the image ${options.index}`);
    await rm(options.into, { recursive: true, force: true });
    await rename(staging, options.into);
    return { files, bytes, receiveMs: performance.now() - started };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw refusal(options, error);
  }
}

async function nextRecord(queue: ByteQueue): Promise<StreamRecord> {
  const length = await queue.read(4);
  if (length === undefined) throw new Refused("the stream ended before its end record");
  const size = length.readUInt32BE(0);
  if (size === 0 || size > MAX_HEADER_BYTES) throw new Refused(`bad record header (${size} B)`);
  const header = await queue.read(size);
  if (header === undefined) throw new Refused("the stream ended inside a record header");
  let parsed: StreamRecord;
  try {
    parsed = streamRecord.parse(JSON.parse(header.toString("utf8")));
  } catch (error) {
    throw new Refused(`bad record header: ${(error as Error).message}`);
  }
  return parsed;
}

async function writeFile(queue: ByteQueue, path: string, record: FileRecord): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const sink = await FileSink.create(path, record.mode & 0o777);
  try {
    for (const [offset, length] of record.extents) {
      sink.moveTo(offset);
      for await (const piece of queue.stream(length)) await sink.write(piece);
    }
    // Extents need not reach the end: the rest (a pages file's lazy pages) is a hole.
    await sink.truncate(record.size);
    await sink.close();
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

function refusal(options: ReceiveOptions, error: unknown): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const opts = { migrationId: options.migrationId, cause: error };
  if (error instanceof CipherError && error.failure === "wrong-key") {
    return new ImageDecryptError(
      options.ref,
      `the dump stream was sealed under another key or for another checkpoint`,
      opts,
    );
  }
  const why =
    error instanceof CipherError || error instanceof Refused
      ? error.message
      : `cut off: ${(error as Error).message}`;
  return new ImageIntegrityError(options.ref, `dump stream refused: ${why}`, opts);
}
