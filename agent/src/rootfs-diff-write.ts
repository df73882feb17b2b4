import { createWriteStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";

/**
 * Writes what a restored process changed in its root file system (the overlay's upper
 * directory) as the archive's `rootfs-diff.tar`: files, directories and symbolic links. The
 * overlay's own whiteouts (character devices) are left out: a deletion in the copy's root is
 * not carried to its next copy.
 */
export async function writeRootfsDiff(upper: string, out: string): Promise<void> {
  const archive = pack();
  const written = pipeline(archive, createWriteStream(out));
  const add = async (dir: string, prefix: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const entry = prefix ? `${prefix}/${name}` : name;
      const s = await lstat(path);
      if (s.isDirectory()) {
        archive.entry({ name: entry, type: "directory", mode: s.mode & 0o7777, mtime: s.mtime });
        await add(path, entry);
      } else if (s.isSymbolicLink()) {
        archive.entry({
          name: entry,
          type: "symlink",
          linkname: await readlink(path),
          mtime: s.mtime,
        });
      } else if (s.isFile()) {
        archive.entry(
          { name: entry, type: "file", mode: s.mode & 0o7777, mtime: s.mtime },
          await readFile(path),
        );
      }
    }
  };
  try {
    await add(upper, "");
  } finally {
    archive.finalize();
  }
  await written;
}
