import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { type LayerEntry, sha256 } from "./layer.ts";

const run = promisify(execFile);

/** Where Node lies in every image, and the directory its shared libraries are put in. */
export const NODE_PATH = "/usr/local/bin/node";
const LIB_DIR = "/usr/lib/x86_64-linux-gnu";

/** A system file of the runtime layer, with the Debian package it came from where known. */
export interface SystemFile {
  path: string;
  sha256: string;
  package?: { name: string; version: string };
}

export interface NodeRuntime {
  entries: LayerEntry[];
  node: { version: string; path: string; sourceSha256: string; stripped: boolean };
  system: SystemFile[];
}

export interface NodeRuntimeOptions {
  /** The Node binary to put in the image. */
  node: string;
  /** A Debian root file system the shared libraries (and their package versions) come from. */
  root: string;
  /** Strip the symbol table (`strip --strip-all`: about an eighth of Node's size). */
  strip: boolean;
}

/**
 * The layer every image shares: Node, the shared libraries it links (the dynamic loader's own
 * answer, taken from `root`, so the libraries are a known Debian release's and not whatever
 * the building machine has), a passwd and group file for the unprivileged user, and /tmp.
 * Nothing else: no shell, no package manager.
 */
export async function nodeRuntime(options: NodeRuntimeOptions): Promise<NodeRuntime> {
  const { stdout: version } = await run(options.node, ["--version"]);
  const sourceBytes = await readFile(options.node);
  const nodeBytes = options.strip ? await stripped(options.node) : sourceBytes;
  const packages = await debianPackages(options.root);
  const entries: LayerEntry[] = [{ kind: "file", path: NODE_PATH, mode: 0o755, bytes: nodeBytes }];
  const system: SystemFile[] = [];
  for (const lib of await sharedLibraries(options.node, options.root)) {
    const bytes = await readFile(lib.file);
    entries.push({ kind: "file", path: lib.path, mode: 0o755, bytes });
    const owner =
      packages.owner(`/${relative(options.root, lib.file)}`) ?? packages.owner(lib.rootPath);
    system.push({ path: lib.path, sha256: sha256(bytes), ...(owner ? { package: owner } : {}) });
  }
  entries.push(
    { kind: "file", path: "/etc/passwd", mode: 0o644, bytes: Buffer.from(PASSWD) },
    { kind: "file", path: "/etc/group", mode: 0o644, bytes: Buffer.from(GROUP) },
    { kind: "dir", path: "/tmp", mode: 0o1777 },
  );
  return {
    entries,
    node: {
      version: version.trim(),
      path: NODE_PATH,
      sourceSha256: sha256(sourceBytes),
      stripped: options.strip,
    },
    system,
  };
}

/** The user the services run as (distroless' "nonroot" number), named for tools that ask. */
export const RUN_AS = 65532;
const PASSWD = `root:x:0:0:root:/root:/sbin/nologin\nshadow:x:${RUN_AS}:${RUN_AS}:shadow:/nonexistent:/sbin/nologin\n`;
const GROUP = `root:x:0:\nshadow:x:${RUN_AS}:\n`;

async function stripped(node: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "shadow-node-"));
  try {
    await run("strip", ["--strip-all", "-o", join(dir, "node"), node]);
    return await readFile(join(dir, "node"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Library {
  /** Path in the image. */
  path: string;
  /** The file's bytes live here (symlinks resolved). */
  file: string;
  /** Its path as the loader found it inside `root`. */
  rootPath: string;
}

/**
 * Asks `root`'s own dynamic loader which libraries `node` needs (`ld.so --list`, what ldd
 * does), searching `root`'s library directories only. The loader itself goes where the
 * binary's interpreter path says; every other library into one directory by its soname, which
 * the loader searches by default.
 */
export async function sharedLibraries(node: string, root: string): Promise<Library[]> {
  const loader = join(root, "lib64", "ld-linux-x86-64.so.2");
  const searched = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"].map((d) => join(root, d));
  const { stdout } = await run(loader, ["--library-path", searched.join(":"), "--list", node]);
  const libraries: Library[] = [];
  for (const line of stdout.split("\n")) {
    const match = /^\s*(\S+) => (\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (!match) continue;
    const [, name = "", found = ""] = match;
    if (!found.startsWith(root)) throw new Error(`${name} was found outside ${root}: ${found}`);
    const path = name.startsWith("/") ? name : `${LIB_DIR}/${name}`;
    libraries.push({ path, file: await realpath(found), rootPath: `/${relative(root, found)}` });
  }
  if (!libraries.some((l) => l.path.includes("libc.so"))) {
    throw new Error(`no libc among the libraries of ${node}: ${stdout}`);
  }
  return libraries;
}

/** Which installed Debian package owns a file, from `root`'s dpkg database. */
async function debianPackages(root: string) {
  const info = join(root, "var", "lib", "dpkg", "info");
  const versions = new Map<string, string>();
  const status = await readFile(join(root, "var", "lib", "dpkg", "status"), "utf8").catch(() => "");
  for (const stanza of status.split("\n\n")) {
    const name = /^Package: (.+)$/m.exec(stanza)?.[1];
    const version = /^Version: (.+)$/m.exec(stanza)?.[1];
    if (name && version) versions.set(name, version);
  }
  const owners = new Map<string, string>();
  for (const list of (await readdir(info).catch(() => [])).filter((f) => f.endsWith(".list"))) {
    const name = list.replace(/\.list$/, "").replace(/:.*$/, "");
    for (const file of (await readFile(join(info, list), "utf8")).split("\n")) {
      if (file.includes(".so")) owners.set(file, name);
    }
  }
  return {
    owner(path: string): { name: string; version: string } | undefined {
      // A merged-/usr system lists a file under either name.
      const name =
        owners.get(path) ?? owners.get(path.replace(/^\/usr\//, "/")) ?? owners.get(`/usr${path}`);
      const version = name ? versions.get(name) : undefined;
      return name && version ? { name, version } : undefined;
    },
  };
}
