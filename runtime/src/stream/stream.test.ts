import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ImageDecryptError, ImageIntegrityError } from "../errors.ts";
import { makeSyntheticDump, treeDigest } from "../image/synthetic-dump.ts";
import { encodePagemap } from "./pagemap-fixture.ts";
import { planStream } from "./plan.ts";
import { receiveDump } from "./receive.ts";
import { sendDump } from "./send.ts";

const CHUNK = 64 << 10;

async function* through(
  source: AsyncIterable<Uint8Array>,
  change: (chunk: Buffer, at: number) => Buffer | undefined,
): AsyncGenerator<Uint8Array> {
  let at = 0;
  for await (const chunk of source) {
    const out = change(Buffer.from(chunk), at);
    at += chunk.length;
    if (out === undefined) return;
    yield out;
  }
}

describe("dump stream", () => {
  const key = randomBytes(32);
  let root: string;
  let dir: string;
  let into: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "shadow-stream-"));
    dir = join(root, "dump");
    into = join(root, "received");
    await makeSyntheticDump(join(dir, "checkpoint"), 3 << 20);
    await writeFile(join(dir, "spec.dump"), JSON.stringify({ ociVersion: "1.0.2" }));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const plan = (checkpointId = "cp-1", withoutLazyPages = false) =>
    planStream({ checkpointId, dir, extraFiles: ["spec.dump"], withoutLazyPages });
  const receive = (
    stream: AsyncIterable<Uint8Array>,
    index: string,
    overrides: { checkpointId?: string; key?: Buffer } = {},
  ) =>
    receiveDump(stream, {
      into,
      key: overrides.key ?? key,
      checkpointId: overrides.checkpointId ?? "cp-1",
      index: index as `sha256:${string}`,
      ref: "stream:test",
    });
  const leftovers = async () => (await readdir(root)).filter((n) => n !== "dump");

  it("delivers every file of the dump, byte for byte, named by its index", async () => {
    const p = await plan();
    const received = await receive(sendDump(p, key, CHUNK), p.index);
    expect(received.files).toBe(p.files.length);
    expect(received.bytes).toBe(p.bytes);
    expect(await treeDigest(into)).toEqual(await treeDigest(dir));
    expect(await leftovers()).toEqual(["received"]);
  });

  it("refuses a stream cut off midway, and leaves nothing", async () => {
    const p = await plan();
    const cut = through(sendDump(p, key, CHUNK), (c, at) => (at > 1 << 20 ? undefined : c));
    await expect(receive(cut, p.index)).rejects.toBeInstanceOf(ImageIntegrityError);
    expect(await leftovers()).toEqual([]);
  });

  it("refuses a stream whose sender broke off with an error", async () => {
    const p = await plan();
    const broken = through(sendDump(p, key, CHUNK), (c, at) => {
      if (at > 1 << 20) throw new Error("connection reset");
      return c;
    });
    await expect(receive(broken, p.index)).rejects.toThrow(/cut off: connection reset/);
    expect(await leftovers()).toEqual([]);
  });

  it("refuses a stream with one byte changed anywhere", async () => {
    const p = await plan();
    for (const target of [10, 70_000, 2_500_000]) {
      const tampered = through(sendDump(p, key, CHUNK), (c, at) => {
        if (target >= at && target < at + c.length) c[target - at] = (c[target - at] as number) ^ 1;
        return c;
      });
      await expect(receive(tampered, p.index)).rejects.toBeInstanceOf(ImageIntegrityError);
    }
    expect(await leftovers()).toEqual([]);
  });

  it("refuses the stream of another checkpoint, and a stream under another key", async () => {
    const other = await plan("cp-2");
    await expect(
      receive(sendDump(other, key, CHUNK), other.index, { checkpointId: "cp-1" }),
    ).rejects.toBeInstanceOf(ImageDecryptError);
    const p = await plan();
    await expect(receive(sendDump(p, randomBytes(32), CHUNK), p.index)).rejects.toBeInstanceOf(
      ImageDecryptError,
    );
    expect(await leftovers()).toEqual([]);
  });

  it("refuses a whole, authentic stream that is not the image the restore was given", async () => {
    const p = await plan();
    // Same checkpoint, same key, another file list: a file more.
    await writeFile(join(dir, "checkpoint", "extra.img"), "x");
    const changed = await plan();
    await expect(receive(sendDump(changed, key, CHUNK), p.index)).rejects.toThrow(
      /is not the image/,
    );
  });

  it("leaves lazy pages out of the pages file, as holes, and sends the rest", async () => {
    const pages = join(dir, "checkpoint", "pages-1.img");
    const size = (await stat(pages)).size;
    const pageCount = Math.floor(size / 4096);
    // pages 0-1 eager, 2..n-2 lazy, the last page eager (a stack, say).
    await writeFile(
      join(dir, "checkpoint", "pagemap-1.img"),
      encodePagemap(1, [
        { vaddr: 0x10000n, pages: 2, flags: 4 },
        { vaddr: 0x40000000n, pages: pageCount - 3, flags: 6 },
        { vaddr: 0x7fff0000n, pages: 1, flags: 4 },
      ]),
    );
    await writeFile(pages, (await readFile(pages)).subarray(0, pageCount * 4096));
    const p = await plan("cp-1", true);
    expect(p.lazyBytes).toBe((pageCount - 3) * 4096);
    await receive(sendDump(p, key, CHUNK), p.index);
    const sent = await readFile(pages);
    const got = await readFile(join(into, "checkpoint", "pages-1.img"));
    expect(got.length).toBe(sent.length);
    expect(got.subarray(0, 8192).equals(sent.subarray(0, 8192))).toBe(true);
    expect(got.subarray(-4096).equals(sent.subarray(-4096))).toBe(true);
    expect(got.subarray(8192, -4096).every((b) => b === 0)).toBe(true);
  });
});
