import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { extractTar, TarFormatError } from "./tar-read.ts";
import { checksum, type TarEntry, writeTar } from "./tar-write.ts";

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Splits into odd-sized pieces so the reader must join headers across chunks. */
async function* jagged(bytes: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 333) yield bytes.subarray(at, at + 333);
}

const file = (name: string, bytes: Uint8Array): TarEntry => ({
  type: "file",
  name,
  size: bytes.length,
  mode: 0o640,
  mtimeMs: 1_700_000_000_000,
  source: { bytes },
});

describe("tar", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "shadow-tar-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("round-trips files, an empty file, a long name and nested directories", async () => {
    const long = `checkpoint/${"n".repeat(150)}.img`;
    const payload = Buffer.from("x".repeat(1025));
    const archive = await collect(
      writeTar([
        { type: "dir", name: "checkpoint", mode: 0o755, mtimeMs: 0 },
        file("checkpoint/pages-1.img", payload),
        file("checkpoint/empty.img", Buffer.alloc(0)),
        file(long, Buffer.from("long")),
        { type: "dir", name: "checkpoint/sub", mode: 0o700, mtimeMs: 0 },
        file("checkpoint/sub/a", Buffer.from("a")),
      ]),
    );
    expect(archive.length % 512).toBe(0);
    const entries = await extractTar(jagged(archive), dir);
    expect(entries.map((e) => e.name)).toContain(long);
    expect(await readFile(join(dir, "checkpoint/pages-1.img"))).toEqual(payload);
    expect((await readFile(join(dir, "checkpoint/empty.img"))).length).toBe(0);
    expect(await readFile(join(dir, long), "utf8")).toBe("long");
    expect(await readFile(join(dir, "checkpoint/sub/a"), "utf8")).toBe("a");
    expect((await stat(join(dir, "checkpoint/pages-1.img"))).mode & 0o777).toBe(0o640);
  });

  it("refuses names that climb out of the directory", async () => {
    const archive = await collect(writeTar([file("../escape", Buffer.from("x"))]));
    await expect(extractTar(once(archive), dir)).rejects.toThrow(TarFormatError);
    await expect(stat(join(dir, "..", "escape"))).rejects.toThrow();
  });

  it("refuses symbolic links", async () => {
    const archive = await collect(writeTar([file("link", Buffer.alloc(0))]));
    archive[156] = "2".charCodeAt(0);
    archive.write(checksum(archive).toString(8).padStart(6, "0"), 148, "ascii");
    archive[154] = 0;
    await expect(extractTar(once(archive), dir)).rejects.toThrow(/only files and directories/);
  });

  it("refuses a header whose checksum does not match", async () => {
    const archive = await collect(writeTar([file("a", Buffer.from("a"))]));
    archive[0] = "b".charCodeAt(0);
    await expect(extractTar(once(archive), dir)).rejects.toThrow(/checksum/);
  });

  it("refuses an archive cut short", async () => {
    const archive = await collect(writeTar([file("a", Buffer.alloc(2000, 1))]));
    await expect(extractTar(once(archive.subarray(0, 1024)), dir)).rejects.toThrow(TarFormatError);
  });
});
