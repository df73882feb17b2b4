import { createHash, randomFillSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, mkdir, open, readdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";

/**
 * A stand-in for a CRIU dump directory, for tests and the benchmark: the file names CRIU
 * writes, filled with random bytes (incompressible, like real page images), with the bulk in
 * `pages-1.img` as in a real dump. Not a restorable dump: image code never parses CRIU files.
 */
export async function makeSyntheticDump(dir: string, totalBytes: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const small: Array<[string, number]> = [
    ["inventory.img", 64],
    ["pstree.img", 40],
    ["core-1.img", 4321],
    ["mm-1.img", 2200],
    ["pagemap-1.img", 977],
    ["files.img", 1500],
    ["fdinfo-2.img", 300],
    ["tcp-stream-1.img", 0],
    // Longer than ustar's 100-byte name field: exercises the PAX path record.
    [`ext-files-${"x".repeat(120)}.img`, 513],
  ];
  let left = totalBytes;
  for (const [name, size] of small) {
    const n = Math.min(size, left);
    await writeFile(join(dir, name), randomBytesOf(n));
    left -= n;
  }
  const handle = await open(join(dir, "pages-1.img"), "w");
  try {
    const block = Buffer.allocUnsafe(Math.min(4 << 20, Math.max(left, 1)));
    while (left > 0) {
      const n = Math.min(block.length, left);
      randomFillSync(block, 0, n);
      await handle.write(block, 0, n);
      left -= n;
    }
  } finally {
    await handle.close();
  }
}

function randomBytesOf(n: number): Buffer {
  return randomFillSync(Buffer.allocUnsafe(n));
}

/** Path → sha256 (and "dir" for directories) of every entry under `dir`: compare two trees. */
export async function treeDigest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(path: string): Promise<void> {
    for (const name of (await readdir(path)).sort()) {
      const full = join(path, name);
      const s = await lstat(full);
      const rel = relative(dir, full);
      if (s.isDirectory()) {
        out[`${rel}/`] = "dir";
        await walk(full);
      } else {
        const hash = createHash("sha256");
        for await (const chunk of createReadStream(full, { highWaterMark: 1 << 20 }))
          hash.update(chunk);
        out[rel] = hash.digest("hex");
      }
    }
  }
  await walk(dir);
  return out;
}
