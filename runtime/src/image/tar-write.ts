import { createReadStream } from "node:fs";

/**
 * A streaming POSIX tar (ustar) writer for the checkpoint archive: regular files and
 * directories only, which is all a CRIU image directory holds. Names that do not fit ustar's
 * 100 bytes and sizes past its 8 GiB go into a PAX extended header (POSIX.1-2001), which every
 * tar reader, CRI-O's included, understands.
 */

export interface TarFileEntry {
  type: "file";
  /** Path inside the archive, `/`-separated, relative. */
  name: string;
  size: number;
  mode: number;
  mtimeMs: number;
  /** Where the bytes come from: a file on disk or bytes in memory. */
  source: { path: string } | { bytes: Uint8Array };
}

export interface TarDirEntry {
  type: "dir";
  name: string;
  mode: number;
  mtimeMs: number;
}

export type TarEntry = TarFileEntry | TarDirEntry;

const BLOCK = 512;
const USTAR_MAX_SIZE = 0o77777777777;

/** The archive as a stream of buffers: headers, bodies, padding and the two end blocks. */
export async function* writeTar(entries: Iterable<TarEntry>): AsyncGenerator<Uint8Array> {
  for (const entry of entries) {
    const name = entry.type === "dir" && !entry.name.endsWith("/") ? `${entry.name}/` : entry.name;
    const size = entry.type === "file" ? entry.size : 0;
    const pax: Record<string, string> = {};
    if (Buffer.byteLength(name) > 100 || !isAscii(name)) pax.path = name;
    if (size > USTAR_MAX_SIZE) pax.size = String(size);
    if (Object.keys(pax).length > 0) {
      const body = paxBody(pax);
      yield header({ name: "PaxHeader", size: body.length, mode: 0o644, mtimeMs: 0, flag: "x" });
      yield body;
      yield padding(body.length);
    }
    yield header({
      name: pax.path ? name.slice(0, 99) : name,
      size: pax.size ? 0 : size,
      mode: entry.mode,
      mtimeMs: entry.mtimeMs,
      flag: entry.type === "dir" ? "5" : "0",
    });
    if (entry.type === "file") {
      let written = 0;
      for await (const chunk of fileBytes(entry)) {
        written += chunk.byteLength;
        if (written > size) break;
        yield chunk;
      }
      // A file that changed size under us would corrupt every entry after it.
      if (written !== size) {
        throw new Error(`${name} changed while archived: ${written} bytes read, ${size} expected`);
      }
      yield padding(size);
    }
  }
  yield Buffer.alloc(BLOCK * 2);
}

async function* fileBytes(entry: TarFileEntry): AsyncGenerator<Uint8Array> {
  if ("bytes" in entry.source) {
    yield entry.source.bytes;
    return;
  }
  yield* createReadStream(entry.source.path, { highWaterMark: 1 << 20 });
}

function header(h: { name: string; size: number; mode: number; mtimeMs: number; flag: string }) {
  const block = Buffer.alloc(BLOCK);
  block.write(h.name, 0, 100, "utf8");
  octal(block, 100, 8, h.mode & 0o7777);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, h.size);
  octal(block, 136, 12, Math.floor(h.mtimeMs / 1000));
  block.write(h.flag, 156, 1, "ascii");
  block.write("ustar\u000000", 257, 8, "ascii");
  block.write("root", 265, 32, "ascii");
  block.write("root", 297, 32, "ascii");
  // The checksum is computed with its own field read as eight spaces.
  block.fill(0x20, 148, 156);
  octal(block, 148, 7, checksum(block));
  return block;
}

/** Writes `value` as zero-padded octal filling `width - 1` bytes, then a NUL. */
function octal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(value.toString(8).padStart(width - 1, "0"), offset, width - 1, "ascii");
  block[offset + width - 1] = 0;
}

export function checksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum;
}

/** PAX records: "<len> <key>=<value>\n", where <len> counts the whole record, itself included. */
function paxBody(records: Record<string, string>): Buffer {
  let out = "";
  for (const [key, value] of Object.entries(records)) {
    const rest = ` ${key}=${value}\n`;
    let len = Buffer.byteLength(rest);
    while (String(len).length + Buffer.byteLength(rest) !== len) {
      len = String(len).length + Buffer.byteLength(rest);
    }
    out += `${len}${rest}`;
  }
  return Buffer.from(out, "utf8");
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}
