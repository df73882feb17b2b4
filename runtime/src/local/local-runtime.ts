import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { RunError, UnknownInstanceError, UnknownNodeError } from "../errors.ts";
import { faultyWire, parseStreamFault } from "../stream/faulty-wire.ts";
import { isStreamRef } from "../stream/stream-ref.ts";
import type {
  BuildImageOptions,
  Checkpoint,
  CheckpointImage,
  CheckpointOptions,
  CpuPriority,
  Identity,
  InstanceInfo,
  NodeInfo,
  NodeMarks,
  RestoredInstance,
  RestoreOptions,
  Runtime,
  RuntimeFeatures,
  WorkloadSpec,
} from "../types.ts";
import { writeBundle } from "./bundle.ts";
import { migrationPrefix, takeCheckpoint } from "./checkpoint.ts";
import { type LocalRuntimeConfig, loadLocalRuntimeConfig } from "./config.ts";
import { CPU_SHARES, cpuSharesOf, weighInstances } from "./cpu-weight.ts";
import { type CriuConfigs, writeCriuConfigs } from "./criu-config.ts";
import { DumpSnapshots } from "./dump-snapshots.ts";
import { exec } from "./exec.ts";
import { type HostInfo, readHostInfo } from "./host.ts";
import type { ImageStore } from "./image-store.ts";
import { endpointOf, toInstanceInfo } from "./instance-info.ts";
import { netnsPath } from "./instance-net.ts";
import { Layout } from "./layout.ts";
import { memoryState } from "./lazy-pages.ts";
import { withFileLock } from "./lock.ts";
import {
  ensureNodeCgroup,
  instanceCgroup,
  instanceMemoryUsage,
  resolveInstanceCgroup,
  reweighNode,
} from "./node-cgroup.ts";
import { describeNode, markLocalNode, readNode, readNodes } from "./nodes.ts";
import { OciImageStore } from "./oci-image-store.ts";
import { identityDir, place, replenishLater, unplace, writeIdentity } from "./placement.ts";
import { checkPreflight } from "./preflight.ts";
import { findRecord, type InstanceRecord, readRecords, writeRecord } from "./records.ts";
import { restoreInstance } from "./restore.ts";
import { Runc, type RuncState } from "./runc.ts";
import { sweepStaleScratch } from "./stale-scratch.ts";

/** A streamed dump not archived within this long after it was taken never will be. */
const SNAPSHOT_MAX_AGE_MS = 6 * 3_600_000;

export interface LocalRuntimeOptions {
  config?: LocalRuntimeConfig;
  /** Checkpoint image handling; by default OciImageStore (encrypted OCI images via the registry). */
  images?: ImageStore;
}

/**
 * The local adapter: nodes are network namespaces on one machine, instances are runc
 * containers with their own namespace and address, checkpoints are CRIU dumps.
 *
 * @example
 * const runtime = await createLocalRuntime();
 * const src = await runtime.run(spec, { workload: "orders-0", instance: "orders-0", node: "node-a", role: "primary", incarnation: 0 });
 * const cp = await runtime.checkpoint("orders-0", { leaveRunning: true, migrationId: "m-1" });
 * const image = await runtime.buildImage(cp, "node-b");
 * await runtime.restore(image, "node-b", { migrationId: "m-1", identity: { ...src.identity, instance: "orders-0-shadow", role: "shadow" } });
 */
export async function createLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const config = options.config ?? loadLocalRuntimeConfig();
  const layout = new Layout(config.stateDir, config.dumpDir);
  await mkdir(layout.runcRoot, { recursive: true });
  await mkdir(layout.logDir, { recursive: true });
  const [criuConfigs, host] = await Promise.all([
    writeCriuConfigs(config.stateDir),
    readHostInfo(config.criu),
    sweepStaleScratch(layout),
    new DumpSnapshots(layout).sweep(SNAPSHOT_MAX_AGE_MS),
  ]);
  return new LocalRuntime(
    config,
    layout,
    criuConfigs,
    host,
    options.images ??
      new OciImageStore(layout, undefined, config.imageTransfer, {
        wire: config.streamFault ? faultyWire(parseStreamFault(config.streamFault)) : undefined,
      }),
  );
}

export class LocalRuntime implements Runtime {
  readonly runc: Runc;
  private featuresCache: RuntimeFeatures | undefined;

  constructor(
    readonly config: LocalRuntimeConfig,
    readonly layout: Layout,
    private readonly criuConfigs: CriuConfigs,
    private readonly host: HostInfo,
    private readonly images: ImageStore,
  ) {
    this.runc = new Runc(config.runc, layout.runcRoot, config.criu);
  }

  private get placement() {
    return {
      layout: this.layout,
      runc: this.runc,
      bridge: this.config.bridge,
      spareNets: this.config.spareNets,
    };
  }

  async nodes(): Promise<NodeInfo[]> {
    const [nodes, records] = await Promise.all([readNodes(this.layout), readRecords(this.layout)]);
    const described = await Promise.all(
      nodes.map((n) =>
        describeNode(this.layout, n, records).catch((error: NodeJS.ErrnoException) => {
          // Removed while it was being read (its directory went): it is no node any more.
          if (error.code === "ENOENT") return undefined;
          throw error;
        }),
      ),
    );
    return described.filter((n): n is NodeInfo => n !== undefined);
  }

  async markNode(node: string, marks: NodeMarks): Promise<NodeInfo> {
    const marked = await markLocalNode(this.layout, node, marks);
    return describeNode(this.layout, marked, await readRecords(this.layout));
  }

  /** What this kernel and CRIU can do; each feature asked of CRIU itself, never assumed. */
  async features(): Promise<RuntimeFeatures> {
    if (this.featuresCache) return this.featuresCache;
    const feature = async (name: string) =>
      (await exec(this.config.criu, ["check", "--feature", name])).code === 0;
    const [preDump, lazyPages] = await Promise.all([
      feature("mem_dirty_track"),
      feature("uffd-noncoop"),
    ]);
    this.featuresCache = {
      criuVersion: this.host.facts.criuVersion,
      kernel: this.host.facts.kernel,
      preDump,
      lazyPages,
    };
    return this.featuresCache;
  }

  async run(spec: WorkloadSpec, identity: Identity): Promise<InstanceInfo> {
    const record = await place(this.placement, { node: identity.node, spec, identity });
    try {
      const bundle = join(this.layout.instance(record.node, record.instance), "bundle");
      await writeBundle(bundle, {
        containerId: record.containerId,
        spec,
        rootfs: this.config.rootfs,
        identityDir: identityDir(this.layout, record),
        netnsPath: netnsPath(record.netns),
        criuConfig: this.criuConfigs.dump,
        hostname: record.workload,
        cpuShares: cpuSharesOf(identity.role),
        cgroupsPath: instanceCgroup(record.node, record.containerId),
      });
      await weighInstances();
      const node = await readNode(this.layout, record.node);
      if (node) {
        await ensureNodeCgroup(node.name, node.capacity.memoryBytes, cpuSharesOf(identity.role));
      }
      await this.runc.run(record.containerId, bundle, this.layout.log(record.instance));
      await reweighNode(record.node);
      return this.withMemory(record, await this.runc.state(record.containerId));
    } catch (err) {
      await unplace(this.placement, record);
      throw new RunError(
        record.instance,
        `starting '${record.instance}' failed: ${(err as Error).message}`,
        {
          cause: err,
          migrationId: identity.migrationId,
        },
      );
    }
  }

  async inspect(instance: string): Promise<InstanceInfo | undefined> {
    const record = await findRecord(this.layout, instance);
    return record && this.withMemory(record, await this.runc.state(record.containerId));
  }

  /**
   * Where the workload's instances can be reached, from the moment each is recorded (a shadow
   * while CRIU still restores it) until it is removed, like a Service's endpoint list. Only
   * the records are read, no runc state (a `runc list` takes hundreds of ms on a busy machine),
   * so a client that polls it sees a new copy as soon as it exists; an endpoint whose process
   * is gone refuses, which is for the client to find out.
   */
  async endpointsOf(
    workload: string,
  ): Promise<Pick<InstanceInfo, "instance" | "node" | "endpoint">[]> {
    return (await readRecords(this.layout))
      .filter((r) => r.workload === workload)
      .map((r) => ({ instance: r.instance, node: r.node, endpoint: endpointOf(r) }));
  }

  async list(): Promise<InstanceInfo[]> {
    const [records, states] = await Promise.all([readRecords(this.layout), this.runc.list()]);
    return Promise.all(
      records.map((r) =>
        this.withMemory(
          r,
          states.find((s) => s.id === r.containerId),
        ),
      ),
    );
  }

  /**
   * The instance as runc sees it, with its memory (its spec's limit, and what its cgroup
   * charges now while it runs) and, for a post-copy copy, where its pages stand.
   */
  private async withMemory(
    record: InstanceRecord,
    state: RuncState | undefined,
  ): Promise<InstanceInfo> {
    const info = toInstanceInfo(record, state);
    const usedBytes =
      info.state === "stopped"
        ? undefined
        : await instanceMemoryUsage(await resolveInstanceCgroup(record.node, record.containerId));
    info.memory = {
      limitBytes: record.spec.memoryBytes,
      ...(usedBytes === undefined ? {} : { usedBytes }),
    };
    if (!record.postCopy) return info;
    const work = join(this.layout.instance(record.node, record.instance), "restore-work");
    return { ...info, pages: await memoryState(work) };
  }

  async checkpoint(instance: string, options: CheckpointOptions): Promise<Checkpoint> {
    const record = await this.record(instance, options.migrationId);
    // One dump of an instance at a time, across processes: a second one would find it frozen.
    const checkpoint = await withFileLock(
      join(this.layout.instance(record.node, record.instance), "checkpoint.lock"),
      () =>
        takeCheckpoint(
          { config: this.config, layout: this.layout, runc: this.runc, host: this.host },
          record,
          options,
        ),
    );
    // A restore follows: have a spare network ready by then, built while the image is (after
    // the dump, not during its freeze). The process that took the last spare may have ended
    // before it could replace it.
    if (this.config.spareNets) replenishLater(this.placement, this.config.spareNets, 0);
    return checkpoint;
  }

  async buildImage(
    checkpoint: Checkpoint,
    targetNode: string,
    options: BuildImageOptions = {},
  ): Promise<CheckpointImage> {
    if (!(await readNode(this.layout, targetNode))) {
      throw new UnknownNodeError(targetNode, { migrationId: checkpoint.migrationId });
    }
    return this.images.build({
      checkpoint,
      checkpointDir: this.layout.checkpoint(checkpoint.node, checkpoint.id),
      targetNode,
      imagesDir: this.layout.imagesDir(targetNode),
      transfer: options.transfer,
      postCopy: this.config.lazyPages !== "off" && (await this.features()).lazyPages,
    });
  }

  async preflight(image: CheckpointImage, targetNode: string, migrationId?: string): Promise<void> {
    if (!(await readNode(this.layout, targetNode)))
      throw new UnknownNodeError(targetNode, { migrationId });
    const metadata = await this.images.describe(image, migrationId, targetNode);
    const target = {
      node: targetNode,
      stateDir: this.layout.node(targetNode),
      criu: this.config.criu,
    };
    await checkPreflight(metadata, target, migrationId);
  }

  async restore(
    image: CheckpointImage,
    targetNode: string,
    options: RestoreOptions,
  ): Promise<RestoredInstance> {
    const lazyPages = this.config.lazyPages !== "off" && (await this.features()).lazyPages;
    return restoreInstance(
      {
        ...this.placement,
        images: this.images,
        criuConfigs: this.criuConfigs,
        preflight: (img, node, migrationId) => this.preflight(img, node, migrationId),
        criu: this.config.criu,
        postCopy: (img) => this.restoresPostCopy(img, lazyPages),
        holdPostCopy: this.config.postCopyHold === "on",
        lazyPagesSleep:
          this.config.lazyPagesSleep === "off" ? undefined : this.config.lazyPagesSleep,
      },
      image,
      targetNode,
      options,
    );
  }

  /**
   * A dump delivered whole is restored post-copy from its local images when asked to (`on`),
   * or by default when it was streamed (its own node's dump, linked in place): CRIU then
   * starts the copy without reading its memory first.
   */
  private restoresPostCopy(image: CheckpointImage, lazyPages: boolean): boolean {
    if (!lazyPages) return false;
    return this.config.lazyPages === "on" || isStreamRef(image.ref);
  }

  async limitCpu(instance: string, cores: number | undefined): Promise<void> {
    const record = await this.record(instance);
    // The CFS quota is CPU time per 100 ms period; 1 ms is the smallest the kernel takes.
    const quota = cores === undefined ? -1 : Math.max(1_000, Math.round(cores * 100_000));
    await this.runc.cpuQuota(record.containerId, quota);
  }

  async setCpuPriority(instance: string, priority: CpuPriority): Promise<void> {
    const record = await this.record(instance);
    await this.runc.cpuShares(record.containerId, CPU_SHARES[priority]);
    await reweighNode(record.node);
  }

  async setIdentity(instance: string, identity: Identity): Promise<void> {
    const record = await this.record(instance, identity.migrationId);
    const updated: InstanceRecord = { ...record, identity: { ...identity, node: record.node } };
    await writeIdentity(this.layout, updated);
    await writeRecord(this.layout, updated);
  }

  /** Stops the instance (SIGTERM, then SIGKILL after `graceMs`); its record and address stay. */
  async stop(instance: string, graceMs = 5_000): Promise<void> {
    const record = await this.record(instance);
    const id = record.containerId;
    const state = await this.runc.state(id);
    if (state && state.status !== "stopped") {
      if (state.status === "paused") await this.runc.resume(id).catch(() => undefined);
      await this.runc.kill(id, "TERM");
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && (await this.runc.state(id))?.status === "running") {
        await new Promise((r) => setTimeout(r, 50));
      }
      await this.runc.kill(id, "KILL");
    }
    await this.runc.deleteForce(id);
  }

  /** Removes the instance and everything it had: container, namespace, veth, address, state. */
  async remove(instance: string): Promise<void> {
    const record = await findRecord(this.layout, instance);
    if (!record) return;
    await unplace(this.placement, record);
    await reweighNode(record.node);
  }

  async release(migrationId: string): Promise<void> {
    const prefix = migrationPrefix(migrationId);
    for (const node of await readNodes(this.layout)) {
      for (const dir of [this.layout.checkpointsDir(node.name), this.layout.imagesDir(node.name)]) {
        const names = await readdir(dir).catch(() => [] as string[]);
        for (const name of names.filter((n) => n.startsWith(prefix))) {
          await rm(join(dir, name), { recursive: true, force: true });
        }
      }
    }
    await this.images.release(migrationId);
  }

  async archiveImages(migrationId: string): Promise<CheckpointImage[]> {
    return this.images.archive(migrationId);
  }

  private async record(instance: string, migrationId?: string): Promise<InstanceRecord> {
    const record = await findRecord(this.layout, instance);
    if (!record) throw new UnknownInstanceError(instance, { migrationId });
    return record;
  }
}
