import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageDecryptError, ImageIntegrityError, ImageNotFoundError } from "../errors.ts";
import { buildCheckpointImage } from "./build.ts";
import type { Digest } from "./digest.ts";
import { blobPath } from "./layout.ts";
import { CrioAnnotation, MediaType, ShadowAnnotation } from "./media-types.ts";
import type { CheckpointMetadataInput } from "./metadata.ts";
import { pullImage } from "./pull.ts";
import { makeSyntheticDump, treeDigest } from "./synthetic-dump.ts";
import { transferNodeToNode } from "./transfer.ts";

const meta: CheckpointMetadataInput = {
  migrationId: "m-unit-1",
  name: "orders-0",
  workload: "orders",
  sourceNode: "node-a",
  criuVersion: "4.2",
  kernel: "6.18.44",
  arch: "amd64",
  cpuFlags: ["sse2", "aes"],
  memoryBytes: 50 << 20,
  rootfsImageName: "shadow/rootfs:trixie",
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = (bytes[i] as number) ^ 0x40;
  await writeFile(path, bytes);
}

describe("checkpoint image in an OCI layout", () => {
  let root: string;
  let dumpDir: string;
  let want: Record<string, string>;
  const key = randomBytes(32);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "shadow-image-"));
    dumpDir = join(root, "dump");
    await makeSyntheticDump(dumpDir, 3 << 20);
    await writeFile(join(root, "stats-dump"), randomBytes(100));
    want = await treeDigest(dumpDir);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const build = (name: string, withKey = true) =>
    buildCheckpointImage(dumpDir, meta, {
      layoutDir: join(root, name),
      key: withKey ? key : undefined,
      chunkBytes: 64 << 10,
      specDump: { ociVersion: "1.0.2", annotations: { "org.criu.config": "/etc/criu/x.conf" } },
      statsDump: join(root, "stats-dump"),
    });

  it("builds the CRI-O checkpoint layout as one encrypted layer and pulls it back identical", async () => {
    const image = await build("enc");
    expect(image.ref).toBe(`oci:${join(root, "enc")}:checkpoint@${image.digest}`);
    expect(image.manifest.annotations?.[CrioAnnotation.name]).toBe("orders-0");
    expect(image.manifest.annotations?.[CrioAnnotation.criuVersion]).toBe("4.2");
    expect(image.manifest.annotations?.[CrioAnnotation.rootfsImageName]).toBe(
      "shadow/rootfs:trixie",
    );
    expect(image.manifest.layers).toHaveLength(1);
    expect(image.manifest.layers[0]?.mediaType).toBe(MediaType.encryptedLayer);
    expect(image.metadata.dumpBytes).toBe(3 << 20);
    expect(
      JSON.parse(image.manifest.annotations?.[ShadowAnnotation.metadata] ?? "{}"),
    ).toMatchObject({
      criuVersion: "4.2",
      cpuFlags: ["sse2", "aes"],
      memoryBytes: 50 << 20,
    });

    const pulled = await pullImage(image.ref, { into: join(root, "out-enc"), key });
    expect(await treeDigest(pulled.dumpDir)).toEqual(want);
    expect(pulled.digest).toBe(image.digest);
    expect(pulled.metadata).toEqual(image.metadata);
    expect(pulled.specDump).toMatchObject({ ociVersion: "1.0.2" });
    expect(pulled.configDump).toMatchObject({ name: "orders-0", runtime: "runc" });
    expect(pulled.statsDump).toBe(join(root, "out-enc", "stats-dump"));
    // The plaintext archive must not be readable in the stored layer.
    const layer = await readFile(
      blobPath(image.layoutDir, image.manifest.layers[0]?.digest as Digest),
    );
    expect(layer.includes(Buffer.from("checkpoint/pages-1.img"))).toBe(false);
  });

  it("builds and pulls an unencrypted image too", async () => {
    const image = await build("plain", false);
    expect(image.manifest.layers[0]?.mediaType).toBe(MediaType.layer);
    const pulled = await pullImage(image.ref, { into: join(root, "out-plain") });
    expect(await treeDigest(pulled.dumpDir)).toEqual(want);
  });

  it.each([
    ["manifest", "start"],
    ["config", "middle"],
    ["layer", "start"],
    ["layer", "middle"],
    ["layer", "end"],
  ] as const)(
    "refuses the image when one byte of its %s blob (%s) is flipped",
    async (kind, where) => {
      for (const encrypted of [true, false]) {
        const name = `tamper-${kind}-${where}-${encrypted}`;
        const image = await build(name, encrypted);
        const digest =
          kind === "manifest"
            ? image.digest
            : kind === "config"
              ? image.manifest.config.digest
              : image.manifest.layers[0]?.digest;
        const path = blobPath(image.layoutDir, digest as Digest);
        const size = (await stat(path)).size;
        await flipByte(path, where === "start" ? 0 : where === "end" ? -1 : Math.floor(size / 2));
        const into = join(root, `out-${name}`);
        const error = await rejection(pullImage(image.ref, { into, key }));
        expect(error, `${name}: ${String(error)}`).toBeInstanceOf(ImageIntegrityError);
        // Nothing was left behind to restore from, not even a staging directory.
        expect((await readdir(root)).filter((n) => n.startsWith(`out-${name}`))).toEqual([]);
      }
    },
  );

  it("refuses a wrong key, and a missing one, with ImageDecryptError", async () => {
    const image = await build("keys");
    const wrong = await rejection(
      pullImage(image.ref, { into: join(root, "out-wrong"), key: randomBytes(32) }),
    );
    expect(wrong).toBeInstanceOf(ImageDecryptError);
    expect(String(wrong)).toMatch(/encrypted with key/);
    const none = await rejection(pullImage(image.ref, { into: join(root, "out-none") }));
    expect(none).toBeInstanceOf(ImageDecryptError);
  });

  it("refuses a wrong key even without the key-id annotation (the cipher's key check)", async () => {
    const image = await build("keys-noid");
    const manifest = JSON.parse(await readFile(blobPath(image.layoutDir, image.digest), "utf8"));
    delete manifest.layers[0].annotations[ShadowAnnotation.encKeyId];
    // Rewrite the image as someone holding the layer but not the key would: new manifest digest.
    const { writeBlob, tagManifest } = await import("./layout.ts");
    const blob = await writeBlob(image.layoutDir, Buffer.from(JSON.stringify(manifest)));
    await tagManifest(image.layoutDir, "noid", { mediaType: MediaType.manifest, ...blob });
    const error = await rejection(
      pullImage(`oci:${image.layoutDir}:noid`, {
        into: join(root, "out-noid"),
        key: randomBytes(32),
      }),
    );
    expect(error).toBeInstanceOf(ImageDecryptError);
  });

  it("refuses when the caller's expected digest differs", async () => {
    const image = await build("pinned");
    const other = `sha256:${"0".repeat(64)}`;
    const error = await rejection(
      pullImage(image.ref.replace(/@.*$/, ""), { into: join(root, "out-pin"), key, digest: other }),
    );
    expect(error).toBeInstanceOf(ImageIntegrityError);
  });

  it("says ImageNotFoundError for a missing layout, tag, manifest or blob", async () => {
    const image = await build("missing");
    const into = join(root, "out-missing");
    expect(
      await rejection(pullImage(`oci:${join(root, "nope")}:checkpoint`, { into, key })),
    ).toBeInstanceOf(ImageNotFoundError);
    expect(
      await rejection(pullImage(`oci:${image.layoutDir}:other`, { into, key })),
    ).toBeInstanceOf(ImageNotFoundError);
    expect(
      await rejection(pullImage(`oci:${image.layoutDir}@sha256:${"1".repeat(64)}`, { into, key })),
    ).toBeInstanceOf(ImageNotFoundError);
    await rm(blobPath(image.layoutDir, image.manifest.layers[0]?.digest as Digest));
    expect(await rejection(pullImage(image.ref, { into, key }))).toBeInstanceOf(ImageNotFoundError);
  });

  it("copies the layout node to node and the copy pulls identical", async () => {
    const image = await build("node-a-image");
    const moved = await transferNodeToNode(image.ref, join(root, "node-b", "images", "m-unit-1"));
    expect(moved.ref).toBe(
      `oci:${join(root, "node-b", "images", "m-unit-1")}:checkpoint@${image.digest}`,
    );
    expect(moved.bytes).toBe(image.sizeBytes);
    const pulled = await pullImage(moved.ref, { into: join(root, "out-moved"), key });
    expect(await treeDigest(pulled.dumpDir)).toEqual(want);
  });
});
