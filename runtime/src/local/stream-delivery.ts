import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ImageNotFoundError } from "../errors.ts";
import { type CheckpointMetadata, checkpointMetadataSchema } from "../image/metadata.ts";
import { PageSourcePool, type PageSourceProcess } from "../stream/page-source-process.ts";
import { planStream } from "../stream/plan.ts";
import { receiveDump } from "../stream/receive.ts";
import { sendDump } from "../stream/send.ts";
import { formatStreamRef, parseStreamRef, type StreamRef } from "../stream/stream-ref.ts";
import type { CheckpointMeta } from "./checkpoint.ts";
import { IMAGES_SUBDIR, META_FILE, SPEC_FILE } from "./image-store.ts";
import type { Layout } from "./layout.ts";

/** What travels between the stream's two ends: the bytes as sent, or as a test changes them. */
export type Wire = (bytes: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

export interface StreamDeliveryOptions {
  /** The cipher key; a key of this process's own when images are not encrypted. */
  key: Uint8Array | undefined;
  chunkBytes: number;
  wire?: Wire | undefined;
  /** Where page sources listen: every node's agent is this machine here. */
  pageSourceHost?: string;
  /** A page source nobody connected to closes after this long. */
  pageSourceIdleMs?: number;
}

/**
 * The `stream` transfer of the local adapter: the dump goes from the source's checkpoint
 * directory through the encrypted dump stream (runtime/src/stream) straight into the target's
 * received place, verified as it arrives, with nothing staged on either side. With post-copy,
 * the stream leaves out the pages CRIU may restore lazily and a page source on the source
 * side serves them to the restored copy's lazy-pages daemon. An image for the node it was
 * taken on moves nowhere: its files are linked into the received place.
 */
export class StreamDelivery {
  private readonly key: Uint8Array;
  private readonly pageSources = new Map<string, PageSourceProcess>();
  private pool: PageSourcePool | undefined;

  constructor(
    private readonly layout: Layout,
    private readonly options: StreamDeliveryOptions,
  ) {
    // Both ends are this process here; without an image key the wire still needs one.
    this.key = options.key ?? randomBytes(32);
  }

  /** Sends the checkpoint in `checkpointDir` to `received` on the target (same node: links). */
  async deliver(input: {
    checkpointId: string;
    migrationId: string;
    sourceNode: string;
    targetNode: string;
    checkpointDir: string;
    received: string;
    postCopy: boolean;
  }): Promise<{ ref: StreamRef; transferMs: number; bytes: number; files: string[] }> {
    const started = performance.now();
    const sameNode = input.sourceNode === input.targetNode;
    // A post-copy delivery needs a page source: have its process starting while we plan.
    if (input.postCopy && !sameNode) this.pagePool().warm();
    const plan = await planStream({
      checkpointId: input.checkpointId,
      dir: input.checkpointDir,
      extraFiles: [SPEC_FILE, META_FILE],
      withoutLazyPages: input.postCopy && !sameNode,
    });
    const ref: StreamRef = {
      node: input.sourceNode,
      checkpointId: input.checkpointId,
      index: plan.index,
    };
    if (sameNode && (await linkTree(input.received, plan.files))) {
      return { ref, transferMs: performance.now() - started, bytes: 0, files: names(plan) };
    }
    const refText = formatStreamRef(ref);
    const wire = this.options.wire ?? ((b) => b);
    // The page source starts while the stream runs: a process takes a moment to come up.
    const pageSource =
      plan.lazyBytes > 0
        ? this.pagePool().serve(join(input.checkpointDir, IMAGES_SUBDIR), {
            host: this.options.pageSourceHost ?? "127.0.0.1",
            idleMs: this.options.pageSourceIdleMs ?? 300_000,
          })
        : undefined;
    try {
      await receiveDump(wire(sendDump(plan, this.key, this.options.chunkBytes)), {
        into: input.received,
        key: this.key,
        checkpointId: input.checkpointId,
        index: plan.index,
        migrationId: input.migrationId,
        ref: refText,
      });
    } catch (error) {
      void pageSource?.then(
        (p) => p.kill(),
        () => undefined,
      );
      throw error;
    }
    if (pageSource) {
      const source = await pageSource;
      this.track(input.migrationId, source);
      ref.pageSource = { host: source.host, port: source.port };
    }
    return { ref, transferMs: performance.now() - started, bytes: plan.bytes, files: names(plan) };
  }

  /**
   * Delivers again, for a restore that finds no delivered copy (a crash took it): the dump is
   * still on its source node until the migration is released. Post-copy needs its page source
   * alive all the same.
   */
  async redeliver(refText: string, targetNode: string, into: string, migrationId: string) {
    const ref = parseStreamRef(refText);
    const checkpointDir = this.layout.checkpoint(ref.node, ref.checkpointId);
    if (!(await stat(checkpointDir).catch(() => undefined))) {
      throw new ImageNotFoundError(refText, `the dump of ${ref.checkpointId} is gone`, {
        migrationId,
      });
    }
    const plan = await planStream({
      checkpointId: ref.checkpointId,
      dir: checkpointDir,
      extraFiles: [SPEC_FILE, META_FILE],
      withoutLazyPages: ref.pageSource !== undefined && ref.node !== targetNode,
    });
    await receiveDump(sendDump(plan, this.key, this.options.chunkBytes), {
      into,
      key: this.key,
      checkpointId: ref.checkpointId,
      index: ref.index,
      migrationId,
      ref: refText,
    });
  }

  /** Preflight's view of a streamed image: its source's record, as delivered or at the source. */
  async describe(refText: string, received: string[]): Promise<CheckpointMetadata> {
    const ref = parseStreamRef(refText);
    const from = [...received, this.layout.checkpoint(ref.node, ref.checkpointId)];
    for (const dir of from) {
      const text = await readFile(join(dir, META_FILE), "utf8").catch(() => undefined);
      if (text !== undefined) return metadataOf(JSON.parse(text) as CheckpointMeta);
    }
    throw new ImageNotFoundError(refText, `no record of ${ref.checkpointId} on either node`);
  }

  /** Stops serving a migration's lazy pages (a restore that still needs them then fails). */
  stopPageSources(migrationId: string): void {
    for (const [key, source] of this.pageSources) {
      if (!key.startsWith(`${migrationId}\u0000`)) continue;
      source.kill();
      this.pageSources.delete(key);
    }
  }

  /**
   * Page sources start from an idle process kept ahead: the first post-copy delivery of this
   * process starts one, and each delivery starts the next.
   */
  private pagePool(): PageSourcePool {
    this.pool ??= new PageSourcePool();
    return this.pool;
  }

  /** The page sources this process started for a migration that still run. */
  pageSourcesOf(migrationId: string): PageSourceProcess[] {
    return [...this.pageSources]
      .filter(([key]) => key.startsWith(`${migrationId}\u0000`))
      .map(([, source]) => source);
  }

  private track(migrationId: string, source: PageSourceProcess): void {
    const key = `${migrationId}\u0000${source.port}`;
    this.pageSources.set(key, source);
    void source.done.then(() => this.pageSources.delete(key));
  }
}

/**
 * Hard-links the planned files into `into` (the same file system: an image for its own
 * node). False when the file systems differ, so the caller streams instead.
 */
async function linkTree(
  into: string,
  files: Array<{ path: string; record: { name: string } }>,
): Promise<boolean> {
  const staging = `${into}.partial-${randomBytes(6).toString("hex")}`;
  try {
    await mkdir(join(staging, IMAGES_SUBDIR), { recursive: true });
    for (const file of files) await link(file.path, join(staging, file.record.name));
    await rm(into, { recursive: true, force: true });
    await rename(staging, into);
    return true;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === "EXDEV") return false;
    throw error;
  }
}

function metadataOf(meta: CheckpointMeta): CheckpointMetadata {
  const d = meta.description;
  return checkpointMetadataSchema.parse({
    schema: 1,
    migrationId: meta.checkpoint.migrationId,
    name: meta.checkpoint.instance,
    workload: meta.source.workload,
    sourceNode: meta.checkpoint.node,
    createdAt: new Date(meta.checkpoint.frozenAt).toISOString(),
    criuVersion: d.criuVersion,
    kernel: d.kernel,
    arch: d.arch,
    cpuFlags: d.cpuFlags,
    memoryBytes: d.memoryBytes,
    dumpBytes: d.dumpBytes,
  });
}

function names(plan: { files: Array<{ record: { name: string } }> }): string[] {
  return plan.files.map((f) => f.record.name);
}
