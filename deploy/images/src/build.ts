import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { bundleService, EXTERNAL_PACKAGES } from "./bundle.ts";
import { BuildCache, builderDigest, cacheKey } from "./cache.ts";
import { catalog as defaultCatalog, type ImageDefinition, imageRef } from "./catalog.ts";
import { buildLayer, type LayerEntry, sha256 } from "./layer.ts";
import {
  NODE_PATH,
  type NodeRuntime,
  nodeRuntime,
  RUN_AS,
  sharedLibraries,
} from "./node-runtime.ts";
import {
  type AssembledImage,
  assembleImage,
  BlobStore,
  type Descriptor,
  writeLayoutArchive,
} from "./oci.ts";
import { type PackageInfo, packagesOf } from "./packages.ts";
import {
  type FileRecord,
  fileRecords,
  type ImageContents,
  imageContents,
  licenseNotices,
} from "./sbom.ts";

export interface BuildOptions {
  repoRoot: string;
  /** Blobs, the build cache, each image's contents, images.json and the archive go here. */
  out: string;
  /** The Node binary every image runs. */
  node: string;
  /** The Debian root file system the shared libraries come from. */
  root: string;
  strip: boolean;
  /** Only these images (by name); all by default. */
  only?: string[];
  catalog?: ImageDefinition[];
  /** Where the shared Node layer's files come from (tests give a small one); not cached. */
  nodeRuntime?: () => Promise<NodeRuntime>;
  log?: (line: string) => void;
}

export interface BuiltImage {
  name: string;
  ref: string;
  /** The manifest's digest: what containerd names the image by. */
  digest: string;
  /** The config's digest: the image id, as a pod's status reports it (`imageID`). */
  configDigest: string;
  layers: Descriptor[];
  /** All its layers, the shared Node layer included. */
  bytes: number;
  /** Its own layer: the bundle, what it ships beside it, its contents list. */
  ownBytes: number;
  buildMs: number;
  /** Its layer came from the cache: nothing it is made of changed since the last build. */
  reused: boolean;
  sbom: string;
}

export interface BuildResult {
  images: BuiltImage[];
  /** Catalog rows whose entry does not exist yet (parts still being written). */
  skipped: string[];
  archive: string;
  archiveBytes: number;
  node: NodeRuntime["node"];
  runtimeLayer: Descriptor;
  totalMs: number;
}

export const ARCHIVE_NAME = "shadow-images.tar";

/** The shared Node layer as the cache keeps it: its blob is in the store. */
interface RuntimeLayer {
  digest: string;
  size: number;
  node: NodeRuntime["node"];
  system: NodeRuntime["system"];
  files: FileRecord[];
}

interface AppLayer {
  digest: string;
  size: number;
  contents: ImageContents;
}

/**
 * Builds every image of the catalog (or `only` those) into `out`: one shared layer with Node
 * and its libraries, one layer per image with its bundle, then one OCI layout archive holding
 * them all for `ctr images import`. The same sources, Node and libraries give the same
 * digests; an image nothing of which changed is taken from the cache without bundling.
 */
export async function buildImages(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  await mkdir(options.out, { recursive: true });
  const blobs = new BlobStore(options.out);
  const cache = new BuildCache(join(options.out, "cache"));
  const builder = await builderDigest();
  const wanted = (options.catalog ?? defaultCatalog).filter(
    (d) => !options.only || options.only.includes(d.name),
  );
  const skipped = wanted.filter((d) => !existsSync(join(options.repoRoot, d.entry)));
  for (const d of skipped) {
    if (!d.whenPresent) throw new Error(`image ${d.name}: its entry ${d.entry} does not exist`);
  }
  const present = wanted.filter((d) => !skipped.includes(d));

  const runtime = await runtimeLayer(options, blobs, cache, builder);
  log(
    `node layer ${runtime.digest.slice(7, 19)} ${mib(runtime.size)} (Node ${runtime.node.version})`,
  );
  // Bundled side by side: esbuild spreads the work over the cores.
  const built = await Promise.all(
    present.map(async (definition) => {
      const t = Date.now();
      const key = cacheKey(
        builder,
        runtime.digest,
        definition.name,
        definition.entry,
        ...(definition.programs ?? []),
      );
      let app = await cache.lookup<AppLayer>(definition.name, key, options.repoRoot);
      const reused = app !== undefined && (await blobs.has(app.digest));
      if (!app || !reused) app = await appLayer(definition, runtime, options, blobs, cache, key);
      return { definition, app, reused, buildMs: Date.now() - t };
    }),
  );
  const images: BuiltImage[] = [];
  const assembled: AssembledImage[] = [];
  for (const { definition, app, reused, buildMs } of built) {
    const ref = imageRef(definition.name);
    const image = assembleImage(ref, runConfig(definition, runtime), [runtime, app]);
    const sbom = `${definition.name}.sbom.json`;
    await writeFile(join(options.out, sbom), `${JSON.stringify(app.contents, null, 2)}\n`);
    assembled.push(image);
    images.push({
      name: definition.name,
      ref,
      digest: image.manifestDigest,
      configDigest: sha256(image.config),
      layers: image.layers,
      bytes: runtime.size + app.size,
      ownBytes: app.size,
      buildMs,
      reused,
      sbom,
    });
    log(
      `${ref} ${image.manifestDigest.slice(7, 19)} ${mib(app.size)} own, ${buildMs} ms${reused ? " (unchanged)" : ""}`,
    );
  }

  const archive = join(options.out, ARCHIVE_NAME);
  const archiveBytes = await archiveOf(archive, assembled, blobs, options.out);
  await collectGarbage(blobs, assembled, runtime);
  const result: BuildResult = {
    images,
    skipped: skipped.map((d) => d.name),
    archive,
    archiveBytes,
    node: runtime.node,
    runtimeLayer: {
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: runtime.digest,
      size: runtime.size,
    },
    totalMs: Date.now() - started,
  };
  await writeFile(join(options.out, "images.json"), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function runConfig(definition: ImageDefinition, runtime: RuntimeLayer) {
  const dir = `/opt/shadow/${definition.name}`;
  return {
    entrypoint: [NODE_PATH, `${dir}/main.mjs`],
    env: ["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_ENV=production"],
    workingDir: dir,
    user: `${RUN_AS}:${RUN_AS}`,
    labels: {
      "org.opencontainers.image.title": definition.name,
      "io.shadow.node.version": runtime.node.version,
    },
  };
}

async function runtimeLayer(
  options: BuildOptions,
  blobs: BlobStore,
  cache: BuildCache,
  builder: string,
): Promise<RuntimeLayer> {
  if (options.nodeRuntime) return storeRuntime(await options.nodeRuntime(), blobs);
  const status = await readFile(join(options.root, "var/lib/dpkg/status")).catch(() => "");
  const key = cacheKey(builder, await readFile(options.node), status, String(options.strip));
  const cached = await cache.lookup<RuntimeLayer>("node-runtime", key, options.repoRoot);
  if (cached && (await blobs.has(cached.digest))) return cached;
  const value = await storeRuntime(await nodeRuntime(options), blobs);
  await cache.store("node-runtime", key, options.repoRoot, [], value);
  return value;
}

async function storeRuntime(runtime: NodeRuntime, blobs: BlobStore): Promise<RuntimeLayer> {
  const layer = await buildLayer(runtime.entries);
  await blobs.put(layer.bytes, layer.digest);
  const value: RuntimeLayer = {
    digest: layer.digest,
    size: layer.bytes.length,
    node: runtime.node,
    system: runtime.system,
    files: fileRecords(layer.entries),
  };
  return value;
}

async function appLayer(
  definition: ImageDefinition,
  runtime: RuntimeLayer,
  options: BuildOptions,
  blobs: BlobStore,
  cache: BuildCache,
  key: string,
): Promise<AppLayer> {
  const dir = `/opt/shadow/${definition.name}`;
  const bundle = await bundleService(options.repoRoot, definition.entry);
  const bundled = await packagesOf(options.repoRoot, bundle.inputs);
  const shipped: PackageInfo[] = [];
  const entries: LayerEntry[] = [
    { kind: "file", path: `${dir}/main.mjs`, mode: 0o644, bytes: bundle.code },
  ];
  const read: string[] = [...bundle.inputs];
  const require = createRequire(join(options.repoRoot, definition.entry));
  for (const name of EXTERNAL_PACKAGES) {
    const pkgDir = dirname(require.resolve(`${name}/package.json`));
    const files = await filesUnder(pkgDir);
    for (const file of files) {
      const bytes = await readFile(join(pkgDir, file));
      entries.push({
        kind: "file",
        path: `${dir}/node_modules/${name}/${file}`,
        mode: 0o644,
        bytes,
      });
      read.push(relative(options.repoRoot, join(pkgDir, file)));
    }
    shipped.push(
      ...(await packagesOf(options.repoRoot, [
        relative(options.repoRoot, join(pkgDir, "package.json")),
      ])),
    );
  }
  entries.push(...(await programEntries(definition, runtime, options.root)));
  entries.push({
    kind: "file",
    path: `${dir}/licenses.txt`,
    mode: 0o644,
    bytes: Buffer.from(licenseNotices([...bundled, ...shipped])),
  });
  const contents = imageContents({
    image: imageRef(definition.name),
    entrypoint: runConfig(definition, runtime).entrypoint,
    runtime,
    bundled,
    shipped,
    files: [...runtime.files, ...fileRecords(entries)],
  });
  entries.push({
    kind: "file",
    path: `${dir}/sbom.json`,
    mode: 0o644,
    bytes: Buffer.from(`${JSON.stringify(contents, null, 2)}\n`),
  });
  const layer = await buildLayer(entries);
  await blobs.put(layer.bytes, layer.digest);
  const value: AppLayer = { digest: layer.digest, size: layer.bytes.length, contents };
  await cache.store(definition.name, key, options.repoRoot, read, value);
  return value;
}

/**
 * The part's system programs from the root file system, at the same paths, and the shared
 * libraries they need that the Node layer lacks (a program built against the same release
 * mostly needs none).
 */
async function programEntries(
  definition: ImageDefinition,
  runtime: RuntimeLayer,
  root: string,
): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const held = new Set(runtime.files.map((f) => f.path));
  for (const program of definition.programs ?? []) {
    const file = join(root, program);
    if (!existsSync(file)) {
      throw new Error(
        `image ${definition.name}: ${program} is not in the root file system ${root}`,
      );
    }
    entries.push({ kind: "file", path: program, mode: 0o755, bytes: await readFile(file) });
    for (const lib of await sharedLibraries(file, root)) {
      if (held.has(lib.path)) continue;
      held.add(lib.path);
      entries.push({ kind: "file", path: lib.path, mode: 0o755, bytes: await readFile(lib.file) });
    }
  }
  return entries;
}

/** Rewritten only when the set of images changed: importing an unchanged archive is skipped. */
async function archiveOf(
  archive: string,
  images: AssembledImage[],
  blobs: BlobStore,
  out: string,
): Promise<number> {
  const stamp = images.map((i) => `${i.ref} ${i.manifestDigest}`).join("\n");
  const stampFile = join(out, `${ARCHIVE_NAME}.manifests`);
  const previous = await readFile(stampFile, "utf8").catch(() => undefined);
  if (previous === stamp && existsSync(archive)) return (await stat(archive)).size;
  const { bytes } = await writeLayoutArchive(archive, images, blobs);
  await writeFile(`${stampFile}.tmp`, stamp);
  await rename(`${stampFile}.tmp`, stampFile);
  return bytes;
}

/** Blobs no image of this build refers to (older builds') are deleted. */
async function collectGarbage(blobs: BlobStore, images: AssembledImage[], runtime: RuntimeLayer) {
  const keep = new Set<string>([runtime.digest]);
  for (const image of images) {
    keep.add(image.manifestDigest);
    for (const layer of image.layers) keep.add(layer.digest);
  }
  const dir = join(blobs.dir, "blobs", "sha256");
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    // Manifests and configs are small and written again with each archive: only layers matter.
    if (!keep.has(`sha256:${name}`) && (await stat(join(dir, name))).size > 64 * 1024) {
      await rm(join(dir, name), { force: true });
    }
  }
}

async function filesUnder(root: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory() && entry.name !== "node_modules")
      files.push(...(await filesUnder(root, rel)));
    else if (entry.isFile()) files.push(rel);
  }
  return files.sort();
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
