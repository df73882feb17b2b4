import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { extract } from "tar-stream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { type BuildOptions, buildImages } from "./build.ts";
import type { ImageDefinition } from "./catalog.ts";
import { buildLayer } from "./layer.ts";
import type { NodeRuntime } from "./node-runtime.ts";
import type { ImageContents } from "./sbom.ts";

// A small repository of its own: two programs, a dependency bundled into them, and a stand-in
// for the package shipped beside every bundle (kafkajs). The Node layer is a stand-in too, so
// the whole pipeline (bundle, layers, OCI config and manifest, archive, contents) runs in
// milliseconds on files whose bytes the test controls.

let repo: string;
const dirs: string[] = [];

const catalog: ImageDefinition[] = [
  { name: "alpha", entry: "apps/alpha/main.ts" },
  { name: "beta", entry: "apps/beta/main.ts" },
  { name: "later", entry: "apps/later/main.ts", whenPresent: true },
];

async function file(path: string, text: string) {
  await mkdir(dirname(join(repo, path)), { recursive: true });
  await writeFile(join(repo, path), text);
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

const fakeRuntime = async (): Promise<NodeRuntime> => ({
  entries: [
    { kind: "file", path: "/usr/local/bin/node", mode: 0o755, bytes: Buffer.from("not node") },
    {
      kind: "file",
      path: "/usr/lib/x86_64-linux-gnu/libc.so.6",
      mode: 0o755,
      bytes: Buffer.from("libc"),
    },
    { kind: "dir", path: "/tmp", mode: 0o1777 },
  ],
  node: {
    version: "v20.0.0-test",
    path: "/usr/local/bin/node",
    sourceSha256: "sha256:00",
    stripped: false,
  },
  system: [
    {
      path: "/usr/lib/x86_64-linux-gnu/libc.so.6",
      sha256: "sha256:01",
      package: { name: "libc6", version: "1" },
    },
  ],
});

async function build(out: string, extra: Partial<BuildOptions> = {}) {
  return buildImages({
    repoRoot: repo,
    out,
    node: "/unused",
    root: "/unused",
    strip: false,
    catalog,
    nodeRuntime: fakeRuntime,
    ...extra,
  });
}

async function sha(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

beforeEach(async () => {
  repo = await tempDir("shadow-images-repo-");
  await file("package.json", JSON.stringify({ name: "repo", private: true }));
  await file("apps/alpha/package.json", JSON.stringify({ name: "@t/alpha", version: "1.0.0" }));
  await file("apps/alpha/main.ts", 'import { pad } from "padder";\nconsole.log(pad("alpha"));\n');
  await file("apps/beta/package.json", JSON.stringify({ name: "@t/beta", version: "1.0.0" }));
  await file(
    "apps/beta/main.ts",
    'import { pad } from "padder";\nimport { Kafka } from "kafkajs";\nconsole.log(pad("beta"), Kafka);\n',
  );
  await file(
    "node_modules/padder/package.json",
    JSON.stringify({ name: "padder", version: "2.3.4", license: "MIT", main: "index.js" }),
  );
  await file("node_modules/padder/index.js", "exports.pad = (s) => '  ' + s;\n");
  await file("node_modules/padder/LICENSE", "MIT License, padder's authors\n");
  await file(
    "node_modules/kafkajs/package.json",
    JSON.stringify({ name: "kafkajs", version: "9.9.9", license: "MIT", main: "index.js" }),
  );
  await file("node_modules/kafkajs/index.js", "exports.Kafka = class Kafka {};\n");
});

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("the image builder", () => {
  test("the same inputs give the same digests and the same archive, in another directory", async () => {
    const first = await build(await tempDir("shadow-images-a-"));
    const second = await build(await tempDir("shadow-images-b-"));
    expect(first.images.map((i) => i.name)).toEqual(["alpha", "beta"]);
    expect(second.images.map((i) => i.digest)).toEqual(first.images.map((i) => i.digest));
    expect(first.images.every((i) => /^sha256:[0-9a-f]{64}$/.test(i.digest))).toBe(true);
    expect(first.images[0]?.digest).not.toBe(first.images[1]?.digest);
    expect(await sha(second.archive)).toBe(await sha(first.archive));
    // Both images stand on the one Node layer.
    expect(first.images[0]?.layers[0]?.digest).toBe(first.runtimeLayer.digest);
    expect(first.images[1]?.layers[0]?.digest).toBe(first.runtimeLayer.digest);
  });

  test("a changed source changes its image's digest and only its image's", async () => {
    const out = await tempDir("shadow-images-c-");
    const before = await build(out);
    await file("apps/alpha/main.ts", 'import { pad } from "padder";\nconsole.log(pad("ALPHA"));\n');
    const after = await build(out);
    expect(after.images[0]?.digest).not.toBe(before.images[0]?.digest);
    expect(after.images[0]?.reused).toBe(false);
    expect(after.images[1]?.digest).toBe(before.images[1]?.digest);
    expect(after.images[1]?.reused).toBe(true);
  });

  test("a dependency's new version changes the digest of every image that bundles it", async () => {
    const out = await tempDir("shadow-images-d-");
    const before = await build(out);
    await file("node_modules/padder/index.js", "exports.pad = (s) => '   ' + s;\n");
    const after = await build(out);
    expect(after.images.map((i) => i.reused)).toEqual([false, false]);
    expect(after.images[0]?.digest).not.toBe(before.images[0]?.digest);
    expect(after.images[1]?.digest).not.toBe(before.images[1]?.digest);
  });

  test("its contents list names the files, Node, the libraries and every package with its license", async () => {
    const out = await tempDir("shadow-images-e-");
    const result = await build(out);
    const contents = JSON.parse(
      await readFile(join(out, "beta.sbom.json"), "utf8"),
    ) as ImageContents;
    expect(contents.image).toBe("shadow.local/beta:dev");
    expect(contents.node.version).toBe("v20.0.0-test");
    expect(contents.system[0]?.package).toEqual({ name: "libc6", version: "1" });
    expect(contents.packages).toEqual(
      expect.arrayContaining([
        { name: "padder", version: "2.3.4", license: "MIT", firstParty: false, how: "bundled" },
        { name: "@t/beta", version: "1.0.0", license: "UNKNOWN", firstParty: true, how: "bundled" },
        {
          name: "kafkajs",
          version: "9.9.9",
          license: "MIT",
          firstParty: false,
          how: "node_modules",
        },
      ]),
    );
    const paths = contents.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/usr/local/bin/node",
        "/opt/shadow/beta/main.mjs",
        "/opt/shadow/beta/node_modules/kafkajs/index.js",
        "/opt/shadow/beta/licenses.txt",
      ]),
    );
    // The list inside the image is the same as the one beside the archive.
    const layer = result.images[1]?.layers[1];
    expect(layer).toBeDefined();
    const inImage = await readTar(join(out, "blobs/sha256", layer?.digest.slice(7) ?? ""));
    expect(JSON.parse(inImage.get("opt/shadow/beta/sbom.json")?.text ?? "")).toEqual(contents);
    expect(inImage.get("opt/shadow/beta/licenses.txt")?.text).toContain("padder's authors");
    // A bundle, not a copy of the sources: the dependency is inlined, kafkajs is imported.
    const main = inImage.get("opt/shadow/beta/main.mjs")?.text ?? "";
    expect(main).toContain("beta");
    expect(main).toMatch(/from\s*"kafkajs"/);
  });

  test("a row's system programs are in its own layer at their paths, with the libraries Node's layer lacks", async () => {
    // This machine's root file system stands in for the Debian one: nsenter needs libselinux
    // besides libc, which the stand-in Node layer has.
    const out = await tempDir("shadow-images-p-");
    const result = await build(out, {
      root: "/",
      catalog: [{ name: "alpha", entry: "apps/alpha/main.ts", programs: ["/usr/bin/nsenter"] }],
    });
    const layer = result.images[0]?.layers[1];
    const inImage = await readTar(join(out, "blobs/sha256", layer?.digest.slice(7) ?? ""));
    expect(inImage.get("usr/bin/nsenter")?.bytes.equals(await readFile("/usr/bin/nsenter"))).toBe(
      true,
    );
    const libraries = [...inImage.keys()].filter((path) => path.includes(".so"));
    expect(libraries).toContain("usr/lib/x86_64-linux-gnu/libselinux.so.1");
    expect(libraries.filter((path) => path.includes("libc.so"))).toEqual([]);
    await expect(
      build(await tempDir("shadow-images-q-"), {
        root: "/",
        catalog: [{ name: "alpha", entry: "apps/alpha/main.ts", programs: ["/usr/sbin/nothere"] }],
      }),
    ).rejects.toThrow(/alpha: \/usr\/sbin\/nothere is not in the root file system/);
  });

  test("a row whose entry is missing is skipped when it waits for its part, and fails otherwise", async () => {
    const result = await build(await tempDir("shadow-images-f-"));
    expect(result.skipped).toEqual(["later"]);
    await expect(
      build(await tempDir("shadow-images-g-"), {
        catalog: [{ name: "gone", entry: "apps/gone/main.ts" }],
      }),
    ).rejects.toThrow(/gone: its entry apps\/gone\/main.ts does not exist/);
  });
});

describe("a layer", () => {
  test("holds its entries in name order with their parents, owned by root, at time 0", async () => {
    const layer = await buildLayer([
      { kind: "file", path: "/b/z", mode: 0o644, bytes: Buffer.from("z") },
      { kind: "symlink", path: "/a/link", target: "../b/z" },
      { kind: "file", path: "/a/x", mode: 0o755, bytes: Buffer.from("x") },
    ]);
    const entries = await readTar(layer.bytes);
    expect([...entries.keys()]).toEqual(["a", "a/link", "a/x", "b", "b/z"]);
    for (const entry of entries.values()) {
      expect(entry.header.mtime?.getTime()).toBe(0);
      expect([entry.header.uid, entry.header.gid]).toEqual([0, 0]);
    }
    expect(entries.get("a/x")?.header.mode).toBe(0o755);
    expect(entries.get("a/link")?.header.linkname).toBe("../b/z");
    const again = await buildLayer([
      { kind: "file", path: "/a/x", mode: 0o755, bytes: Buffer.from("x") },
      { kind: "file", path: "/b/z", mode: 0o644, bytes: Buffer.from("z") },
      { kind: "symlink", path: "/a/link", target: "../b/z" },
    ]);
    expect(again.digest).toBe(layer.digest);
  });
});

async function readTar(source: string | Buffer) {
  const bytes = typeof source === "string" ? await readFile(source) : source;
  const entries = new Map<
    string,
    {
      header: { mtime?: Date; uid?: number; gid?: number; mode?: number; linkname?: string | null };
      text: string;
      bytes: Buffer;
    }
  >();
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => {
    tar.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        const bytes = Buffer.concat(chunks);
        entries.set(header.name, { header, text: bytes.toString("utf8"), bytes });
        next();
      });
    });
    tar.on("finish", () => resolve());
    tar.on("error", reject);
  });
  tar.end(bytes);
  await done;
  return entries;
}
