import { constants, createReadStream } from "node:fs";
import { link, lstat, mkdir, open, rm, symlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { type ExtractEvents, extract, type Header as Headers } from "tar-stream";

type Body = ExtractEvents["entry"][1];

/**
 * The files a checkpointed container changed in its root file system (the archive's
 * `rootfs-diff.tar`), checked and put into the copy's root. A crafted archive is how three 2026
 * containerd CVEs wrote outside a container's root at restore; so before anything is written,
 * the whole archive is read and refused if any entry:
 *
 * - has an absolute name or a `..` component,
 * - is a symbolic link whose target, resolved from where it lies, leaves the root,
 * - is a hard link to a name outside the root,
 * - lies below a symbolic link of the same archive,
 * - is a device, a FIFO or anything but a file, directory, link or whiteout.
 *
 * Then it is written with no symbolic link ever followed: every parent is checked with lstat,
 * and files are opened with O_NOFOLLOW.
 */
export class UnsafeRootfsDiffError extends Error {
  readonly code = "UNSAFE_ROOTFS_DIFF";
}

interface Entry {
  name: string;
  type: "file" | "directory" | "symlink" | "link" | "whiteout";
  linkname?: string;
  mode: number;
}

const WHITEOUT = ".wh.";

/** Reads the archive and returns its entries, or throws UnsafeRootfsDiffError. */
export async function checkRootfsDiff(tarPath: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  const links = new Set<string>();
  await walk(tarPath, async (header, body) => {
    body.resume();
    const entry = classify(header);
    for (const parent of parents(entry.name)) {
      if (links.has(parent)) refuse(`${entry.name} lies below the symbolic link ${parent}`);
    }
    if (entry.type === "symlink") {
      const target = entry.linkname ?? "";
      const from = target.startsWith("/") ? "." : posix.dirname(entry.name);
      if (escapes(posix.join(from, target))) {
        refuse(`symbolic link ${entry.name} -> ${target} leaves the container's root`);
      }
      links.add(entry.name);
    }
    if (entry.type === "link" && escapes(entry.linkname ?? "")) {
      refuse(`hard link ${entry.name} -> ${entry.linkname} leaves the container's root`);
    }
    entries.push(entry);
  });
  return entries;
}

/** Checks the archive, then writes it into `root` without following a symbolic link. */
export async function applyRootfsDiff(tarPath: string, root: string): Promise<number> {
  await checkRootfsDiff(tarPath);
  let count = 0;
  await walk(tarPath, async (header, body) => {
    const entry = classify(header);
    const path = await inside(root, entry.name);
    if (entry.type === "whiteout") {
      body.resume();
      await rm(path, { recursive: true, force: true });
    } else if (entry.type === "directory") {
      body.resume();
      await mkdir(path, { recursive: true, mode: entry.mode || 0o755 });
    } else if (entry.type === "symlink") {
      body.resume();
      await rm(path, { force: true, recursive: true });
      await symlink(entry.linkname ?? "", path);
    } else if (entry.type === "link") {
      body.resume();
      await rm(path, { force: true, recursive: true });
      await link(await inside(root, entry.linkname ?? ""), path);
    } else {
      // A file where a link was: the link goes, never its target.
      const existing = await lstat(path).catch(() => undefined);
      if (existing?.isSymbolicLink()) await rm(path);
      const handle = await open(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
        entry.mode || 0o644,
      );
      await pipeline(body, handle.createWriteStream());
    }
    count++;
  });
  return count;
}

function classify(header: Headers): Entry {
  const name = clean(header.name);
  const base = posix.basename(name);
  const mode = header.mode ?? 0;
  if (base.startsWith(WHITEOUT)) {
    const hidden = base.slice(WHITEOUT.length);
    // An opaque directory marker (.wh..wh..opq) empties its directory in the layer below.
    const target =
      hidden === ".wh..opq" ? posix.dirname(name) : posix.join(posix.dirname(name), hidden);
    if (target === "." || escapes(target)) refuse(`whiteout ${name} names the root or beyond`);
    return { name: target, type: "whiteout", mode };
  }
  switch (header.type) {
    case "file":
    case "contiguous-file":
      return { name, type: "file", mode };
    case "directory":
      return { name, type: "directory", mode };
    case "symlink":
      return { name, type: "symlink", linkname: header.linkname ?? "", mode };
    case "link":
      return { name, type: "link", linkname: clean(header.linkname ?? ""), mode };
    default:
      return refuse(
        `${name} is a ${header.type}: a root file system diff holds files, directories and links only`,
      );
  }
}

/** The archive name, relative, without `./` or a trailing slash; refused if it leaves the root. */
function clean(name: string): string {
  if (name.startsWith("/")) refuse(`${name} is an absolute path`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) refuse(`${name} climbs out with ..`);
  if (parts.length === 0) refuse(`an entry names the root itself (${JSON.stringify(name)})`);
  return parts.join("/");
}

function escapes(relativePath: string): boolean {
  const normal = posix.normalize(relativePath);
  return normal === ".." || normal.startsWith("../") || normal.startsWith("/");
}

function parents(name: string): string[] {
  const parts = name.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** `root/name`, after checking with lstat that no parent on the way is a symbolic link. */
async function inside(root: string, name: string): Promise<string> {
  let at = root;
  for (const part of name.split("/").slice(0, -1)) {
    at = join(at, part);
    const s = await lstat(at).catch(() => undefined);
    if (s?.isSymbolicLink()) refuse(`${name} would be written through the symbolic link ${at}`);
    if (!s) await mkdir(at, { mode: 0o755 });
  }
  return join(root, name);
}

function refuse(reason: string): never {
  throw new UnsafeRootfsDiffError(`refused the checkpoint's root file system diff: ${reason}`);
}

async function walk(
  tarPath: string,
  onEntry: (header: Headers, body: Body) => Promise<void>,
): Promise<void> {
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on("entry", (header, body, next) => {
      onEntry(header, body).then(
        () => next(),
        (error: unknown) => {
          body.resume();
          reader.destroy(error as Error);
        },
      );
    });
    reader.on("finish", resolve);
    reader.on("error", reject);
  });
  // containerd writes the diff gzipped (its name notwithstanding); CRI-O and this agent do not.
  const head = await readHead(tarPath);
  const source = createReadStream(tarPath);
  if (head[0] === 0x1f && head[1] === 0x8b) source.pipe(createGunzip()).pipe(reader);
  else source.pipe(reader);
  await done;
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(2);
    await handle.read(buffer, 0, 2, 0);
    return buffer;
  } finally {
    await handle.close();
  }
}
