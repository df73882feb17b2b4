import { lstat, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ArchiveName } from "./media-types.ts";
import { jsonBytes } from "./oci.ts";
import type { TarEntry } from "./tar-write.ts";

/**
 * The checkpoint archive, laid out as CRI-O and the kubelet write it (checkpointctl
 * `lib/metadata.go`):
 *
 *   checkpoint/        CRIU's image files, as `runc checkpoint --image-path` wrote them
 *   config.dump        the container's engine-level config (id, name, rootfs image, runtime)
 *   spec.dump          its OCI runtime spec (the bundle's config.json)
 *   rootfs-diff.tar    optional: files the container changed in its root file system
 *   stats-dump         optional: CRIU's dump statistics (runc leaves it in the work dir)
 */

export interface ArchiveInputs {
  dumpDir: string;
  configDump: Record<string, unknown>;
  /** The OCI runtime spec the container ran with; `{}` when the caller has none. */
  specDump?: unknown;
  rootfsDiffTar?: string | undefined;
  statsDump?: string | undefined;
}

export interface ArchivePlan {
  entries: TarEntry[];
  /** Bytes of the CRIU image files alone (what the target's disk must hold). */
  dumpBytes: number;
}

export async function planArchive(inputs: ArchiveInputs): Promise<ArchivePlan> {
  const top = await stat(inputs.dumpDir).catch(() => undefined);
  if (!top?.isDirectory()) throw new Error(`dump directory ${inputs.dumpDir} does not exist`);
  const now = Date.now();
  const entries: TarEntry[] = [
    { type: "dir", name: ArchiveName.checkpointDir, mode: top.mode, mtimeMs: top.mtimeMs },
  ];
  const dumpBytes = await walk(inputs.dumpDir, ArchiveName.checkpointDir, entries);
  const json = (name: string, doc: unknown): TarEntry => {
    const bytes = jsonBytes(doc);
    return { type: "file", name, size: bytes.length, mode: 0o600, mtimeMs: now, source: { bytes } };
  };
  entries.push(json(ArchiveName.configDump, inputs.configDump));
  entries.push(json(ArchiveName.specDump, inputs.specDump ?? {}));
  for (const [name, path] of [
    [ArchiveName.rootfsDiff, inputs.rootfsDiffTar],
    [ArchiveName.statsDump, inputs.statsDump],
  ] as const) {
    if (path === undefined) continue;
    const s = await stat(path);
    entries.push({
      type: "file",
      name,
      size: s.size,
      mode: s.mode,
      mtimeMs: s.mtimeMs,
      source: { path },
    });
  }
  return { entries, dumpBytes };
}

/** Adds `dir`'s tree under `prefix`, sorted so the same dump always gives the same archive. */
async function walk(dir: string, prefix: string, entries: TarEntry[]): Promise<number> {
  let bytes = 0;
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    const path = join(dir, name);
    const s = await lstat(path);
    const archived = `${prefix}/${name}`;
    if (s.isDirectory()) {
      entries.push({ type: "dir", name: archived, mode: s.mode, mtimeMs: s.mtimeMs });
      bytes += await walk(path, archived, entries);
    } else if (s.isFile()) {
      entries.push({
        type: "file",
        name: archived,
        size: s.size,
        mode: s.mode,
        mtimeMs: s.mtimeMs,
        source: { path },
      });
      bytes += s.size;
    } else {
      throw new Error(`${path} is neither a file nor a directory: a CRIU dump holds only those`);
    }
  }
  return bytes;
}

export interface UnpackedCheckpoint {
  /** The directory holding the archive's contents. */
  rootDir: string;
  /** `checkpoint/`: hand this to `runc restore --image-path`. */
  dumpDir: string;
  configDump: Record<string, unknown>;
  specDump: unknown;
  rootfsDiffTar?: string | undefined;
  statsDump?: string | undefined;
}

/** Reads an extracted archive back; throws if it lacks the checkpoint directory. */
export async function readUnpacked(rootDir: string): Promise<UnpackedCheckpoint> {
  const dumpDir = join(rootDir, ArchiveName.checkpointDir);
  if (!(await stat(dumpDir).catch(() => undefined))?.isDirectory()) {
    throw new Error("the archive has no checkpoint/ directory");
  }
  const readJson = async (name: string) =>
    JSON.parse(await readFile(join(rootDir, name), "utf8").catch(() => "{}")) as unknown;
  const optional = async (name: string) => {
    const path = join(rootDir, name);
    return (await stat(path).catch(() => undefined)) ? path : undefined;
  };
  return {
    rootDir,
    dumpDir,
    configDump: (await readJson(ArchiveName.configDump)) as Record<string, unknown>,
    specDump: await readJson(ArchiveName.specDump),
    rootfsDiffTar: await optional(ArchiveName.rootfsDiff),
    statsDump: await optional(ArchiveName.statsDump),
  };
}
