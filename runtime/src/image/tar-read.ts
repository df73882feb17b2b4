import { mkdir } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";
import { ByteQueue } from "./byte-queue.ts";
import { FileSink } from "./file-sink.ts";
import { checksum } from "./tar-write.ts";

/**
 * Extracts a tar stream (the checkpoint archive) into a directory. Only regular files and
 * directories are accepted: a checkpoint archive holds nothing else, and refusing links and
 * device nodes means a crafted archive cannot write outside the directory or plant a device.
 * Names are checked the same way: no absolute paths, no `..`.
 */

export class TarFormatError extends Error {}

export interface ExtractedEntry {
  name: string;
  type: "file" | "dir";
  size: number;
}

const BLOCK = 512;

export async function extractTar(
  source: AsyncIterable<Uint8Array>,
  destDir: string,
): Promise<ExtractedEntry[]> {
  const queue = new ByteQueue(source);
  const entries: ExtractedEntry[] = [];
  let pax: Record<string, string> = {};
  for (;;) {
    const block = await queue.read(BLOCK);
    if (block === undefined)
      throw new TarFormatError("archive ends without its end-of-archive blocks");
    if (block.every((b) => b === 0)) break;
    if (readOctal(block, 148, 8) !== checksum(block))
      throw new TarFormatError("bad header checksum");
    const flag = String.fromCharCode(block[156] as number);
    let size = readSize(block);
    let name = readString(block, 0, 100);
    const prefix = readString(block, 345, 155);
    if (prefix && block.toString("ascii", 257, 262) === "ustar") name = `${prefix}/${name}`;
    if (flag === "x" || flag === "g") {
      const body = await queue.read(size);
      if (body === undefined) throw new TarFormatError("archive ends inside a PAX header");
      await queue.skip(pad(size));
      if (flag === "x") pax = parsePax(body);
      continue;
    }
    if (pax.path !== undefined) name = pax.path;
    if (pax.size !== undefined) size = Number(pax.size);
    pax = {};
    const mode = readOctal(block, 100, 8);
    const target = safeJoin(destDir, name);
    if (flag === "5") {
      await mkdir(target, { recursive: true, mode: mode || 0o755 });
      entries.push({ name, type: "dir", size: 0 });
    } else if (flag === "0" || flag === "\0") {
      await mkdir(dirname(target), { recursive: true });
      await writeFileFrom(queue, target, size, mode || 0o644);
      entries.push({ name, type: "file", size });
    } else {
      throw new TarFormatError(`entry ${name} has type '${flag}': only files and directories`);
    }
    if (!(await queue.skip(pad(size)))) throw new TarFormatError("archive ends inside padding");
  }
  return entries;
}

async function writeFileFrom(queue: ByteQueue, path: string, size: number, mode: number) {
  const sink = await FileSink.create(path, mode);
  try {
    for await (const chunk of queue.stream(size)) await sink.write(chunk);
    await sink.close();
  } catch (error) {
    await sink.abort();
    throw new TarFormatError(`archive ends inside ${path}: ${(error as Error).message}`);
  }
}

function safeJoin(root: string, name: string): string {
  const clean = normalize(name).replace(/\/+$/, "");
  if (name.startsWith("/") || clean === "" || clean === "." || clean.split(sep).includes("..")) {
    throw new TarFormatError(`unsafe entry name ${JSON.stringify(name)}`);
  }
  return join(root, clean);
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.toString("utf8", 0, end === -1 ? length : end);
}

function readOctal(block: Buffer, offset: number, length: number): number {
  const text = readString(block, offset, length).trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

/** Sizes are octal, or GNU base-256 when the first byte's high bit is set. */
function readSize(block: Buffer): number {
  if (((block[124] as number) & 0x80) === 0) return readOctal(block, 124, 12);
  let value = 0;
  for (let i = 125; i < 136; i++) value = value * 256 + (block[i] as number);
  return value;
}

function parsePax(body: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const len = Number.parseInt(body.toString("ascii", at, space), 10);
    if (space === -1 || !Number.isFinite(len) || len <= 0)
      throw new TarFormatError("bad PAX record");
    const record = body.toString("utf8", space + 1, at + len - 1);
    const eq = record.indexOf("=");
    records[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return records;
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
