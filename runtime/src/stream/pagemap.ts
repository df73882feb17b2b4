/**
 * Reads CRIU's pagemap images (images/pagemap.proto): which runs of pages a task had, where
 * each run lies in its pages-<id>.img, and whether CRIU may restore it lazily (post-copy, on
 * first touch through userfaultfd) or must have it in place before the task runs. Post-copy
 * sends a target only the pages of the second kind up front; the others follow on demand.
 *
 * Image format (CRIU's protobuf images): two u32 magics (the common one, then the image's),
 * then entries, each a u32 length and a protobuf message. The first entry is the pagemap_head
 * (pages_id), every later one a pagemap_entry.
 */

const IMG_COMMON_MAGIC = 0x54564319;
const PAGEMAP_MAGIC = 0x56084025;
const PAGE_BYTES = 4096;
/** pagemap.h: PE_PARENT, PE_LAZY, PE_PRESENT. */
const PE_PARENT = 1;
const PE_LAZY = 2;
const PE_PRESENT = 4;

export interface PageRun {
  vaddr: bigint;
  pages: number;
  /** Byte offset of the run in pages-<pagesId>.img; undefined when it is not in the file. */
  offset: number | undefined;
  lazy: boolean;
}

export interface Pagemap {
  pagesId: number;
  runs: PageRun[];
  /** Bytes the pages file holds: the sum of its runs. */
  pagesBytes: number;
}

export class PagemapFormatError extends Error {}

export function parsePagemap(bytes: Uint8Array): Pagemap {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || view.getUint32(0, true) !== IMG_COMMON_MAGIC)
    throw new PagemapFormatError("not a CRIU image (bad magic)");
  if (view.getUint32(4, true) !== PAGEMAP_MAGIC)
    throw new PagemapFormatError("not a pagemap image");
  let at = 8;
  let pagesId: number | undefined;
  let offset = 0;
  const runs: PageRun[] = [];
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new PagemapFormatError("truncated entry length");
    const size = view.getUint32(at, true);
    at += 4;
    if (at + size > bytes.length) throw new PagemapFormatError("truncated entry");
    const fields = readMessage(bytes.subarray(at, at + size));
    at += size;
    if (pagesId === undefined) {
      pagesId = Number(fields.get(1) ?? 0n);
      continue;
    }
    const vaddr = fields.get(1) ?? 0n;
    const pages = Number(fields.get(5) ?? fields.get(2) ?? 0n);
    const inParent = (fields.get(3) ?? 0n) !== 0n;
    const flags = Number(fields.get(4) ?? 0n);
    // Entries written without flags (old images) are present unless in the parent.
    const present = fields.has(4) ? (flags & PE_PRESENT) !== 0 : !inParent;
    const run: PageRun = {
      vaddr,
      pages,
      offset: present && !(flags & PE_PARENT) ? offset : undefined,
      lazy: (flags & PE_LAZY) !== 0,
    };
    if (run.offset !== undefined) offset += pages * PAGE_BYTES;
    runs.push(run);
  }
  if (pagesId === undefined) throw new PagemapFormatError("pagemap without a head");
  return { pagesId, runs, pagesBytes: offset };
}

/** Varint fields of a protobuf message by field number (the last one wins, as protobuf says). */
function readMessage(bytes: Uint8Array): Map<number, bigint> {
  const fields = new Map<number, bigint>();
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length) throw new PagemapFormatError("truncated varint");
      const byte = bytes[at++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const wire = key & 7;
    if (wire === 0) fields.set(key >> 3, varint());
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) at += Number(varint());
    else throw new PagemapFormatError(`unexpected protobuf wire type ${wire}`);
  }
  return fields;
}
