import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Remembers what a layer was built from, so an unchanged image is not bundled again: a key (the
 * builder's own sources and everything the caller names) and the files the last build read,
 * each with its digest. A layer is reused only when the key is the same, every file it read
 * still has its digest, and its blob is still stored.
 */
export class BuildCache {
  constructor(private readonly dir: string) {}

  async lookup<T>(name: string, key: string, repoRoot: string): Promise<T | undefined> {
    const entry = await readFile(this.#path(name), "utf8")
      .then((text) => JSON.parse(text) as CacheEntry<T>)
      .catch(() => undefined);
    if (!entry || entry.key !== key) return undefined;
    for (const [file, digest] of Object.entries(entry.files)) {
      if ((await fileDigest(join(repoRoot, file))) !== digest) return undefined;
    }
    return entry.value;
  }

  async store<T>(name: string, key: string, repoRoot: string, files: string[], value: T) {
    const digests: Record<string, string> = {};
    for (const file of files) digests[file] = (await fileDigest(join(repoRoot, file))) ?? "";
    await mkdir(this.dir, { recursive: true });
    const entry: CacheEntry<T> = { key, files: digests, value };
    await writeFile(`${this.#path(name)}.tmp`, JSON.stringify(entry));
    await rename(`${this.#path(name)}.tmp`, this.#path(name));
  }

  #path(name: string): string {
    return join(this.dir, `${name}.json`);
  }
}

interface CacheEntry<T> {
  key: string;
  files: Record<string, string>;
  value: T;
}

/** A key from parts: any change in any part is another key. */
export function cacheKey(...parts: (string | Uint8Array)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(createHash("sha256").update(part).digest());
  return hash.digest("hex");
}

/** The builder's own sources: a change to how images are made makes every image again. */
export async function builderDigest(): Promise<string> {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  const files = (await readdir(dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
  const parts = await Promise.all(files.sort().map((f) => readFile(join(dir, f))));
  return cacheKey(...parts);
}

async function fileDigest(path: string): Promise<string | undefined> {
  try {
    return createHash("sha256")
      .update(await readFile(path))
      .digest("hex");
  } catch {
    return undefined;
  }
}
