import { createHash } from "node:crypto";
import { z } from "zod";
import type { Digest } from "../image/digest.ts";

/**
 * The dump stream: a checkpoint's files sent to the target node as they are read, inside the
 * chunked AES-256-GCM framing of image layers (image/cipher.ts) with the checkpoint id bound
 * into its keys. Inside the encryption, a sequence of records:
 *
 *   record  u32 BE header length | header (JSON) | the bytes of the header's extents, in order
 *
 * A `file` header names a file of the dump (`checkpoint/<CRIU image>`, `spec.dump`,
 * `meta.json`), its mode, its final size and the extents sent (offset, length): one extent for
 * a whole file, fewer for a pages file whose lazy pages are served later by the page source
 * (the rest stays a hole). The last record is `end`: the count of files and bytes and the
 * index digest, which names the stream as a whole (see `indexDigest`). A stream without its
 * `end` record, or with anything after it, is refused.
 */

export const STREAM_VERSION = 1;
/** A header larger than this is not a header: refuse it before allocating. */
export const MAX_HEADER_BYTES = 64 << 10;

/** `checkpoint/<file>` or a top-level file: no directories beyond that, no `..`. */
const fileName = z
  .string()
  .regex(/^(checkpoint\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/, "not a dump file name")
  .max(255);
const count = z.number().int().nonnegative();

export const fileRecord = z.object({
  kind: z.literal("file"),
  name: fileName,
  mode: z.number().int().min(0).max(0o7777),
  size: count,
  /** [offset, length] pairs, ascending and within `size`. */
  extents: z.array(z.tuple([count, count])),
});
export type FileRecord = z.infer<typeof fileRecord>;

export const endRecord = z.object({
  kind: z.literal("end"),
  version: z.literal(STREAM_VERSION),
  files: count,
  bytes: count,
  index: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
export type EndRecord = z.infer<typeof endRecord>;

export const streamRecord = z.discriminatedUnion("kind", [fileRecord, endRecord]);
export type StreamRecord = z.infer<typeof streamRecord>;

/** A record's header as it goes on the wire. */
export function encodeHeader(record: StreamRecord): Buffer {
  const json = Buffer.from(JSON.stringify(record), "utf8");
  const out = Buffer.allocUnsafe(4 + json.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  return out;
}

/** Bytes of a file record's extents. */
export function extentBytes(record: FileRecord): number {
  return record.extents.reduce((sum, [, length]) => sum + length, 0);
}

/** Extents must be ascending, non-overlapping and inside the file. */
export function extentsValid(record: FileRecord): boolean {
  let end = 0;
  for (const [offset, length] of record.extents) {
    if (offset < end || offset + length > record.size) return false;
    end = offset + length;
  }
  return true;
}

/**
 * What names a stream: SHA-256 over the checkpoint id and every file record's header, in
 * order. Both sides compute it (the sender from its plan, the receiver from what arrived), so
 * a stream that lost, gained, renamed or resized a file does not match the image handed to
 * the restore, whatever the bytes inside were. The bytes are authenticated frame by frame by
 * the cipher; hashing them again would cost a second pass over a gigabyte for nothing.
 */
export class IndexHash {
  private readonly hash = createHash("sha256");

  constructor(checkpointId: string) {
    this.hash.update(`shadow dump stream v${STREAM_VERSION}\u0000${checkpointId}\u0000`);
  }

  add(record: FileRecord): void {
    const { name, mode, size, extents } = record;
    this.hash.update(`${JSON.stringify({ name, mode, size, extents })}\n`);
  }

  digest(): Digest {
    return `sha256:${this.hash.digest("hex")}`;
  }
}

/** The cipher context of a checkpoint's stream: a stream sealed for one checkpoint opens for no other. */
export function streamContext(checkpointId: string): string {
  return `dump stream v${STREAM_VERSION} ${checkpointId}`;
}
