import { createReadStream } from "node:fs";
import { DEFAULT_CHUNK_BYTES, encryptStream } from "../image/cipher.ts";
import { encodeHeader, STREAM_VERSION, streamContext } from "./format.ts";
import type { StreamPlan } from "./plan.ts";

const READ_BYTES = 1 << 20;

/**
 * The dump as an encrypted byte stream, read from the files as it is consumed: nothing is
 * staged, so the only full copy on the source is the dump itself.
 *
 * @example
 * const plan = await planStream({ checkpointId, dir, extraFiles: ["spec.dump"], withoutLazyPages: false });
 * await receiveDump(sendDump(plan, key), { into, key, checkpointId, index: plan.index });
 */
export function sendDump(
  plan: StreamPlan,
  key: Uint8Array,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): AsyncGenerator<Uint8Array> {
  return encryptStream(records(plan), key, chunkBytes, streamContext(plan.checkpointId));
}

async function* records(plan: StreamPlan): AsyncGenerator<Uint8Array> {
  for (const { path, record } of plan.files) {
    yield encodeHeader(record);
    for (const [offset, length] of record.extents) {
      let read = 0;
      const stream = createReadStream(path, {
        start: offset,
        end: offset + length - 1,
        highWaterMark: READ_BYTES,
      });
      for await (const chunk of stream) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      // A file that shrank under us would shift every byte after it into the wrong place.
      if (read !== length) throw new Error(`${path} changed while it was sent`);
    }
  }
  yield encodeHeader({
    kind: "end",
    version: STREAM_VERSION,
    files: plan.files.length,
    bytes: plan.bytes,
    index: plan.index,
  });
}
