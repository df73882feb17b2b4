import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/** Bytes of the regular files below `path`. */
export async function dirBytes(path: string): Promise<number> {
  const s = await lstat(path).catch(() => undefined);
  if (!s) return 0;
  if (!s.isDirectory()) return s.isFile() ? s.size : 0;
  let total = 0;
  for (const name of await readdir(path)) total += await dirBytes(join(path, name));
  return total;
}
