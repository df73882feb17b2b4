import { readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  buildCheckpointImage,
  type CheckpointMetadata,
  type ImageStoreConfig,
  inspectImage,
  loadImageStoreConfig,
  pullImage,
  pushImage,
  Retention,
  sanitizeName,
  transferNodeToNode,
} from "../image/index.ts";
import { deliveryOf } from "../image-delivery.ts";
import { formatStreamRef, isStreamRef, parseStreamRef } from "../stream/stream-ref.ts";
import type { CheckpointImage } from "../types.ts";
import { type CheckpointMeta, migrationPrefix } from "./checkpoint.ts";
import type { BuildInput, ImageStore, ImageTransfer, Unpacked } from "./image-store.ts";
import { IMAGES_SUBDIR, META_FILE, SPEC_FILE } from "./image-store.ts";
import type { Layout } from "./layout.ts";
import { StreamDelivery, type Wire } from "./stream-delivery.ts";

/**
 * Where a delivered image waits on its target node, verified and unpacked: one place per node
 * and image, whichever way it travelled, so the restore there only has to claim it.
 */
function receivedDir(imagesDir: string, migrationId: string, digest: string): string {
  const short = digest.replace(/^sha256:/, "").slice(0, 16);
  return join(imagesDir, `${migrationPrefix(migrationId)}received-${short}`);
}

export interface OciImageStoreOptions {
  /** The stream's wire (tests put a faulty one between its ends). */
  wire?: Wire | undefined;
}

/**
 * The local adapter's images, through runtime/src/image: the dump packed as an encrypted
 * one-layer OCI checkpoint image on the source node, then pushed to the local registry (or
 * copied into the target node's state directory), and pulled onto the target as soon as it is
 * there, with every digest checked and the layer decrypted. Delivery ends with the dump on the
 * target's disk either way, so a restore's time is the same work whatever the transfer was
 * (as a node pre-pulls the image it is about to run). Everything made is recorded for
 * retention, so `release(migrationId)` removes it.
 */
export class OciImageStore implements ImageStore {
  private readonly retention: Retention;
  readonly stream: StreamDelivery;

  constructor(
    private readonly layout: Layout,
    private readonly config: ImageStoreConfig = loadImageStoreConfig(),
    private readonly transfer: ImageTransfer = "registry",
    options: OciImageStoreOptions = {},
  ) {
    this.stream = new StreamDelivery(layout, {
      key: config.key,
      chunkBytes: config.cipherChunkBytes,
      wire: options.wire,
    });
    this.retention = new Retention({
      dir: join(config.stateDir, "retention"),
      roots: [config.stateDir, ...(layout.dumpRoot ? [layout.dumpRoot] : [])],
      budgetBytes: config.budgetBytes,
    });
  }

  async build(input: BuildInput): Promise<CheckpointImage> {
    if ((input.transfer ?? this.transfer) === "stream") return this.buildStream(input);
    const { checkpoint } = input;
    const meta = JSON.parse(
      await readFile(join(input.checkpointDir, META_FILE), "utf8"),
    ) as CheckpointMeta;
    const spec = JSON.parse(
      await readFile(join(input.checkpointDir, SPEC_FILE), "utf8"),
    ) as unknown;
    const statsDump = join(input.checkpointDir, "work", "stats-dump");
    const layoutDir = join(this.layout.imagesDir(checkpoint.node), checkpoint.id);
    await this.retention.track(checkpoint.migrationId, {
      kind: "path",
      path: input.checkpointDir,
      node: checkpoint.node,
    });
    await this.retention.track(checkpoint.migrationId, {
      kind: "path",
      path: layoutDir,
      node: checkpoint.node,
    });
    const built = await buildCheckpointImage(
      join(input.checkpointDir, IMAGES_SUBDIR),
      {
        migrationId: checkpoint.migrationId,
        name: checkpoint.instance,
        workload: meta.source.workload,
        sourceNode: checkpoint.node,
        criuVersion: meta.description.criuVersion,
        kernel: meta.description.kernel,
        arch: meta.description.arch,
        cpuFlags: meta.description.cpuFlags,
        memoryBytes: meta.description.memoryBytes,
      },
      {
        layoutDir,
        key: this.config.key,
        chunkBytes: this.config.cipherChunkBytes,
        specDump: spec,
        statsDump: (await stat(statsDump).catch(() => undefined)) ? statsDump : undefined,
      },
    );
    const image = {
      digest: built.digest,
      sizeBytes: built.sizeBytes,
      encrypted: built.encrypted,
      buildMs: built.buildMs,
    };
    const received = receivedDir(
      this.layout.imagesDir(input.targetNode),
      checkpoint.migrationId,
      built.digest,
    );
    // Off the registry (copied, or built where it is restored), the image is verified and
    // unpacked on the target all the same.
    const transfer = deliveryOf(checkpoint.node, input.targetNode, input.transfer ?? this.transfer);
    if (transfer !== "registry") {
      const targetDir = join(this.layout.imagesDir(input.targetNode), checkpoint.id);
      if (transfer === "node-to-node")
        await this.retention.track(checkpoint.migrationId, {
          kind: "path",
          path: targetDir,
          node: input.targetNode,
        });
      const started = performance.now();
      const ref =
        transfer === "node-to-node"
          ? (await transferNodeToNode(built.ref, targetDir)).ref
          : built.ref;
      await this.receive(ref, built.digest, received, input);
      return { ...image, ref, transferMs: performance.now() - started, transfer };
    }
    const repository = `shadow/${sanitizeName(checkpoint.migrationId)}`;
    const started = performance.now();
    const pushed = await pushImage(
      built.ref,
      { registry: this.config.registry, repository, tag: sanitizeName(checkpoint.id) },
      { chunkBytes: this.config.uploadChunkBytes },
    );
    await this.retention.track(checkpoint.migrationId, {
      kind: "registry",
      registry: this.config.registry,
      repository,
      digest: pushed.digest,
      blobs: [built.manifest.config.digest, ...built.manifest.layers.map((l) => l.digest)] as never,
      bytes: built.sizeBytes,
    });
    await this.receive(pushed.ref, built.digest, received, input);
    return {
      ...image,
      ref: pushed.ref,
      transferMs: performance.now() - started,
      transfer: "registry",
    };
  }

  /**
   * The `stream` transfer: no image on the critical path. The dump goes to the target's
   * received place through the encrypted stream (or, for its own node, by links), and the
   * restore claims it there.
   */
  private async buildStream(input: BuildInput): Promise<CheckpointImage> {
    const { checkpoint } = input;
    const migrationId = checkpoint.migrationId;
    const receivedTmp = join(
      this.layout.checkpointsDir(input.targetNode),
      `${migrationPrefix(migrationId)}receiving-${checkpoint.id}`,
    );
    await this.retention.track(migrationId, {
      kind: "path",
      path: input.checkpointDir,
      node: checkpoint.node,
    });
    const delivered = await this.stream.deliver({
      checkpointId: checkpoint.id,
      migrationId,
      sourceNode: checkpoint.node,
      targetNode: input.targetNode,
      checkpointDir: input.checkpointDir,
      received: receivedTmp,
      postCopy: input.postCopy ?? false,
    });
    // Named by the index like every delivered copy, once it is known to be whole.
    const received = receivedDir(
      this.layout.checkpointsDir(input.targetNode),
      migrationId,
      delivered.ref.index,
    );
    await this.retention.track(migrationId, {
      kind: "path",
      path: received,
      node: input.targetNode,
    });
    await rm(received, { recursive: true, force: true });
    await rename(receivedTmp, received);
    return {
      ref: formatStreamRef(delivered.ref),
      digest: delivered.ref.index,
      sizeBytes: delivered.bytes,
      encrypted: this.config.key !== undefined,
      buildMs: 0,
      transferMs: delivered.transferMs,
      transfer: deliveryOf(checkpoint.node, input.targetNode, "stream"),
    };
  }

  /**
   * The target's side of delivery: pulls the image (from the registry, or the layout it was
   * sent) into its received place, verified and unpacked, so the restore finds the dump ready
   * on the target's disk instead of pulling it on the critical path.
   */
  private async receive(ref: string, digest: string, into: string, input: BuildInput) {
    const { migrationId } = input.checkpoint;
    await this.retention.track(migrationId, { kind: "path", path: into, node: input.targetNode });
    await pullImage(ref, { into, key: this.config.key, digest, migrationId });
  }

  async describe(
    image: CheckpointImage,
    migrationId?: string,
    targetNode?: string,
  ): Promise<CheckpointMetadata> {
    if (isStreamRef(image.ref)) {
      // The record the stream delivered, where it waits on the target; else the source's.
      const received =
        targetNode && migrationId
          ? [receivedDir(this.scratchRoot(image, targetNode), migrationId, image.digest)]
          : [];
      return this.stream.describe(image.ref, received);
    }
    return (await inspectImage(image.ref, { digest: image.digest, migrationId })).metadata;
  }

  async unpack(
    image: CheckpointImage,
    targetNode: string,
    intoDir: string,
    migrationId: string,
  ): Promise<Unpacked> {
    // Delivered here: verified and unpacked on arrival, so claiming it is a rename. A second
    // restore of the same image (after a crash) finds it gone and pulls instead.
    const received = receivedDir(this.scratchRoot(image, targetNode), migrationId, image.digest);
    const claimed = await rm(intoDir, { recursive: true, force: true })
      .then(() => rename(received, intoDir))
      .then(
        () => true,
        () => false,
      );
    const pageSource = isStreamRef(image.ref) ? parseStreamRef(image.ref).pageSource : undefined;
    if (claimed) return { pageSource };
    if (isStreamRef(image.ref)) {
      await this.stream.redeliver(image.ref, targetNode, intoDir, migrationId);
      return { pageSource };
    }
    await pullImage(image.ref, {
      into: intoDir,
      key: this.config.key,
      digest: image.digest,
      migrationId,
    });
    return {};
  }

  /** Streamed dumps land beside the node's own dumps (memory, by default); images on disk. */
  scratchRoot(image: CheckpointImage, targetNode: string): string {
    return isStreamRef(image.ref)
      ? this.layout.checkpointsDir(targetNode)
      : this.layout.imagesDir(targetNode);
  }

  async release(migrationId: string): Promise<void> {
    this.stream.stopPageSources(migrationId);
    await this.retention.release(migrationId);
  }
}
