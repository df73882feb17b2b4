import { readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { RuntimeError } from "../errors.ts";
import {
  type BuiltImage,
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
import type { Checkpoint, CheckpointImage } from "../types.ts";
import { type CheckpointMeta, migrationPrefix } from "./checkpoint.ts";
import { DumpSnapshots } from "./dump-snapshots.ts";
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
  private readonly snapshots: DumpSnapshots;

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
    this.snapshots = new DumpSnapshots(layout);
    this.retention = new Retention({
      dir: join(config.stateDir, "retention"),
      roots: [config.stateDir, ...(layout.dumpRoot ? [layout.dumpRoot] : [])],
      budgetBytes: config.budgetBytes,
    });
  }

  async build(input: BuildInput): Promise<CheckpointImage> {
    if ((input.transfer ?? this.transfer) === "stream") return this.buildStream(input);
    const { checkpoint } = input;
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
    const built = await this.pack(input.checkpointDir, checkpoint, layoutDir);
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
    const started = performance.now();
    const pushed = await this.push(built, checkpoint);
    await this.receive(pushed.ref, built.digest, received, input);
    return {
      ...image,
      ref: pushed.ref,
      transferMs: performance.now() - started,
      transfer: "registry",
    };
  }

  /** The checkpoint in `checkpointDir` as an encrypted one-layer OCI image in `layoutDir`. */
  private async pack(checkpointDir: string, checkpoint: Checkpoint, layoutDir: string) {
    const meta = JSON.parse(
      await readFile(join(checkpointDir, META_FILE), "utf8"),
    ) as CheckpointMeta;
    const spec = JSON.parse(await readFile(join(checkpointDir, SPEC_FILE), "utf8")) as unknown;
    const statsDump = join(checkpointDir, "work", "stats-dump");
    return buildCheckpointImage(
      join(checkpointDir, IMAGES_SUBDIR),
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
  }

  /** Pushes a built image to the registry, recorded under its migration for retention. */
  private async push(built: BuiltImage, checkpoint: Checkpoint) {
    const repository = `shadow/${sanitizeName(checkpoint.migrationId)}`;
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
    return pushed;
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
    // Its OCI image is built after the migration, from links to the dump taken now.
    if (this.config.archive) {
      await this.snapshots.take(checkpoint, input.checkpointDir, delivered.files);
    }
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

  async archive(migrationId: string): Promise<CheckpointImage[]> {
    const images: CheckpointImage[] = [];
    for (const snapshot of await this.snapshots.of(migrationId)) {
      if (!this.config.archive) {
        await this.snapshots.drop(snapshot.dir);
        continue;
      }
      try {
        const built = await this.pack(snapshot.dir, snapshot.checkpoint, join(snapshot.dir, "oci"));
        const started = performance.now();
        const pushed = await this.push(built, snapshot.checkpoint);
        images.push({
          ref: pushed.ref,
          digest: built.digest,
          sizeBytes: built.sizeBytes,
          encrypted: built.encrypted,
          buildMs: built.buildMs,
          transferMs: performance.now() - started,
          transfer: "registry",
        });
      } catch (error) {
        // A registry that is down may be back for the next try (the event is redelivered);
        // anything else will fail again, and the snapshot holds a dump's worth of memory.
        if (!(error instanceof RuntimeError && error.retryable))
          await this.snapshots.drop(snapshot.dir);
        throw error;
      }
      await this.snapshots.drop(snapshot.dir);
    }
    // Kept after the migration, for audit and restores later or elsewhere, until the image
    // budget needs the room.
    if (images.length > 0) await this.retention.finish(migrationId);
    return images;
  }

  async release(migrationId: string): Promise<void> {
    this.stream.stopPageSources(migrationId);
    await this.retention.release(migrationId);
  }
}
