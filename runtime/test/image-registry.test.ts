import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageDecryptError, ImageIntegrityError, ImageNotFoundError } from "../src/errors.ts";
import { type BuiltImage, buildCheckpointImage, pullImage, pushImage } from "../src/image/index.ts";
import { CrioAnnotation, MediaType } from "../src/image/media-types.ts";
import { makeSyntheticDump, treeDigest } from "../src/image/synthetic-dump.ts";
import {
  flipByte,
  metadataFor,
  randomRepository,
  registry,
  registryBlobPath,
  registryHost,
  rejection,
  requireRegistry,
} from "./image-support.ts";

describe("checkpoint images through the real registry", () => {
  const key = randomBytes(32);
  const repositories: Array<{ repository: string; digest: `sha256:${string}` }> = [];
  let root: string;
  let dumpDir: string;
  let want: Record<string, string>;

  beforeAll(async () => {
    await requireRegistry();
    root = await mkdtemp(join(tmpdir(), "shadow-image-it-"));
    dumpDir = join(root, "dump");
    await makeSyntheticDump(dumpDir, 3 << 20);
    want = await treeDigest(dumpDir);
  });

  afterAll(async () => {
    for (const { repository, digest } of repositories)
      await registry.deleteManifest(repository, digest);
    await rm(root, { recursive: true, force: true });
  });

  async function buildAndPush(
    name: string,
    chunkBytes = 1 << 20,
  ): Promise<{ image: BuiltImage; ref: string; repository: string }> {
    const image = await buildCheckpointImage(dumpDir, metadataFor(name), {
      layoutDir: join(root, `layout-${name}`),
      key,
    });
    const repository = randomRepository();
    const pushed = await pushImage(
      image.ref,
      { registry: registryHost, repository, tag: "checkpoint" },
      { chunkBytes },
    );
    repositories.push({ repository, digest: pushed.digest });
    expect(pushed.digest).toBe(image.digest);
    return { image, ref: pushed.ref, repository };
  }

  it("push (chunked PATCH upload) → pull gives a byte-identical dump dir", async () => {
    const { image, ref, repository } = await buildAndPush("chunked", 1 << 20);
    expect(ref).toBe(`${registryHost}/${repository}:checkpoint@${image.digest}`);
    const pulled = await pullImage(ref, { into: join(root, "out-chunked"), key });
    expect(await treeDigest(pulled.dumpDir)).toEqual(want);
    expect(pulled.metadata.migrationId).toBe("chunked");
  });

  it("push (one monolithic PUT) → pull by tag and expected digest gives the same dump dir", async () => {
    const { image, repository } = await buildAndPush("monolithic", 64 << 20);
    const pulled = await pullImage(`${registryHost}/${repository}:checkpoint`, {
      into: join(root, "out-mono"),
      key,
      digest: image.digest,
    });
    expect(await treeDigest(pulled.dumpDir)).toEqual(want);
  });

  it("stores an OCI manifest with the CRI-O checkpoint annotation and an encrypted layer", async () => {
    const { image, repository } = await buildAndPush("annotations");
    const res = await fetch(`http://${registryHost}/v2/${repository}/manifests/checkpoint`, {
      headers: { accept: MediaType.manifest },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-content-digest")).toBe(image.digest);
    const manifest = (await res.json()) as {
      annotations: Record<string, string>;
      layers: Array<{ mediaType: string }>;
    };
    expect(manifest.annotations[CrioAnnotation.name]).toBe("orders-annotations");
    expect(manifest.layers.map((l) => l.mediaType)).toEqual([MediaType.encryptedLayer]);
  });

  it("skips blobs the registry already has (HEAD) on a second push", async () => {
    const { image, repository } = await buildAndPush("again");
    const second = await pushImage(image.ref, { registry: registryHost, repository, tag: "again" });
    expect(second.skippedBlobs).toBe(2);
    expect(second.uploadedBytes).toBeLessThan(10_000);
  });

  it.each(["manifest", "config", "layer"] as const)(
    "refuses the image when one byte of its %s blob is flipped in the registry's storage",
    async (kind) => {
      const { image, ref } = await buildAndPush(`tamper-${kind}`);
      const digest =
        kind === "manifest"
          ? image.digest
          : kind === "config"
            ? image.manifest.config.digest
            : image.manifest.layers[0]?.digest;
      if (!digest) throw new Error("no digest");
      // In the manifest, flip a byte inside a string value so it stays valid JSON for the registry.
      const offset =
        kind === "manifest"
          ? Buffer.from(JSON.stringify(image.manifest)).indexOf("orders-") + 3
          : 100;
      await flipByte(registryBlobPath(digest), offset);
      const into = join(root, `out-tamper-${kind}`);
      const error = await rejection(pullImage(ref, { into, key }));
      expect(error, String(error)).toBeInstanceOf(ImageIntegrityError);
      expect((await readdir(root)).filter((n) => n.startsWith(`out-tamper-${kind}`))).toEqual([]);
    },
  );

  it("refuses a wrong key with ImageDecryptError", async () => {
    const { ref } = await buildAndPush("wrong-key");
    const error = await rejection(
      pullImage(ref, { into: join(root, "out-wrong-key"), key: randomBytes(32) }),
    );
    expect(error).toBeInstanceOf(ImageDecryptError);
  });

  it("says ImageNotFoundError for an unknown repository, tag or digest", async () => {
    const { repository } = await buildAndPush("missing");
    const into = join(root, "out-missing");
    for (const ref of [
      `${registryHost}/${randomRepository()}:checkpoint`,
      `${registryHost}/${repository}:no-such-tag`,
      `${registryHost}/${repository}@sha256:${"2".repeat(64)}`,
    ]) {
      expect(await rejection(pullImage(ref, { into, key })), ref).toBeInstanceOf(
        ImageNotFoundError,
      );
    }
  });
});
