import { createWriteStream } from "node:fs";
import { lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { type Header, pack } from "tar-stream";
import { afterEach, describe, expect, it } from "vitest";
import { applyRootfsDiff, UnsafeRootfsDiffError } from "./rootfs-diff.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "rootfs-diff-"));
  dirs.push(dir);
  return dir;
}

type Item = Partial<Header> & { name: string; body?: string };

async function tarOf(items: Item[]): Promise<string> {
  const path = join(await scratch(), "rootfs-diff.tar");
  const p = pack();
  const written = pipeline(p, createWriteStream(path));
  for (const { body, ...header } of items) p.entry(header, body ?? "");
  p.finalize();
  await written;
  return path;
}

async function refused(items: Item[]): Promise<{ error: unknown; root: string }> {
  const root = await scratch();
  await writeFile(join(root, "keep"), "x");
  const error = await applyRootfsDiff(await tarOf(items), root).catch((e: unknown) => e);
  return { error, root };
}

describe("a checkpoint's root file system diff", () => {
  it("is written into the root: files, directories, links inside it, whiteouts", async () => {
    const root = await scratch();
    await writeFile(join(root, "gone"), "old");
    const tar = await tarOf([
      { name: "etc/", type: "directory", mode: 0o755 },
      { name: "etc/app.conf", type: "file", mode: 0o644, body: "port=8080\n" },
      { name: "etc/current", type: "symlink", linkname: "app.conf" },
      { name: "etc/absolute", type: "symlink", linkname: "/etc/app.conf" },
      { name: "etc/hard", type: "link", linkname: "etc/app.conf" },
      { name: ".wh.gone", type: "file", mode: 0o644, body: "" },
    ]);
    expect(await applyRootfsDiff(tar, root)).toBe(6);
    expect(await readFile(join(root, "etc/app.conf"), "utf8")).toBe("port=8080\n");
    expect(await readlink(join(root, "etc/current"))).toBe("app.conf");
    expect(await readFile(join(root, "etc/hard"), "utf8")).toBe("port=8080\n");
    expect(await lstat(join(root, "gone")).catch(() => undefined)).toBeUndefined();
  });

  for (const [what, items] of [
    [
      "a symbolic link that climbs out",
      [{ name: "evil", type: "symlink", linkname: "../../../etc" }],
    ],
    [
      "a deep link that climbs out",
      [{ name: "a/b/evil", type: "symlink", linkname: "../../../../host" }],
    ],
    ["an absolute name", [{ name: "/etc/passwd", type: "file", body: "root::0:0::/:/bin/sh" }]],
    ["a name with ..", [{ name: "etc/../../escape", type: "file", body: "x" }]],
    ["a hard link out", [{ name: "h", type: "link", linkname: "../outside" }]],
    [
      "a file below a link of the archive",
      [
        { name: "lib", type: "symlink", linkname: "usr/lib" },
        { name: "lib/evil.so", type: "file", body: "x" },
      ],
    ],
    ["a device", [{ name: "dev/sda", type: "block-device", devmajor: 8, devminor: 0 }]],
  ] as Array<[string, Item[]]>) {
    it(`is refused with ${what}, before anything is written`, async () => {
      const { error, root } = await refused([
        { name: "first.txt", type: "file", body: "written only if all is safe" },
        ...items,
      ]);
      expect(error).toBeInstanceOf(UnsafeRootfsDiffError);
      expect((await readdir(root)).sort()).toEqual(["keep"]);
    });
  }

  it("is refused when the root already holds a link where a file would go through", async () => {
    const root = await scratch();
    const outside = await scratch();
    const { symlink } = await import("node:fs/promises");
    await symlink(outside, join(root, "data"));
    const error = await applyRootfsDiff(
      await tarOf([{ name: "data/planted", type: "file", body: "x" }]),
      root,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeRootfsDiffError);
    expect(await readdir(outside)).toEqual([]);
  });
});
