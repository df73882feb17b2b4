import { createHash } from "node:crypto";
import { pack } from "tar-stream";

/** One thing in an image's file system, by its absolute path in the image. */
export type LayerEntry =
  | { kind: "file"; path: string; mode: number; bytes: Uint8Array }
  | { kind: "dir"; path: string; mode: number }
  | { kind: "symlink"; path: string; target: string };

export interface Layer {
  /** The uncompressed tar, as the image's layer blob. */
  bytes: Buffer;
  /** sha256 of `bytes`: the layer's digest and its diff id alike (it is not compressed). */
  digest: string;
  /** Every entry as written, parents first: what the bill of materials lists. */
  entries: LayerEntry[];
}

// The same bytes for the same files: no times, root's ids and no names for them, fixed order.
const EPOCH = new Date(0);

/**
 * Packs entries into a layer whose bytes depend on the entries alone: sorted by path, every
 * parent directory present (0755 unless given), mtime 0, owner 0:0. Layers are not compressed:
 * the images are imported into containerd from a file, and nothing travels over a network.
 */
export async function buildLayer(given: LayerEntry[]): Promise<Layer> {
  const entries = withParents(given).sort((a, b) => compare(a.path, b.path));
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    tar.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
    tar.on("end", resolve);
    tar.on("error", reject);
  });
  for (const entry of entries) {
    const common = {
      name: entry.path.slice(1),
      mtime: EPOCH,
      uid: 0,
      gid: 0,
      uname: "",
      gname: "",
    };
    if (entry.kind === "file") {
      tar.entry({ ...common, type: "file", mode: entry.mode }, asBuffer(entry.bytes));
    } else if (entry.kind === "dir") {
      tar.entry({ ...common, type: "directory", mode: entry.mode });
    } else {
      tar.entry({ ...common, type: "symlink", mode: 0o777, linkname: entry.target });
    }
  }
  tar.finalize();
  await done;
  const bytes = Buffer.concat(chunks);
  return { bytes, digest: sha256(bytes), entries };
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function withParents(given: LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const entry of given) {
    if (!entry.path.startsWith("/") || entry.path.endsWith("/") || entry.path.includes("//")) {
      throw new Error(`layer entry path must be absolute and normal: ${entry.path}`);
    }
    if (byPath.has(entry.path)) throw new Error(`layer entry ${entry.path} given twice`);
    byPath.set(entry.path, entry);
  }
  for (const entry of given) {
    for (let dir = parentOf(entry.path); dir !== "/"; dir = parentOf(dir)) {
      if (!byPath.has(dir)) byPath.set(dir, { kind: "dir", path: dir, mode: 0o755 });
    }
  }
  return [...byPath.values()];
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/** Byte order of the UTF-8 names (not the locale's): the same on every machine. */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
