import { cpuPriorityOf } from "../cpu-priority.ts";
import { RuntimeError } from "../errors.ts";
import { deliveryOf } from "../image-delivery.ts";
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

/**
 * An in-memory Runtime for unit tests of the services: same port, no CRIU. Faults are
 * injected per operation with `failNext`.
 */
export class FakeRuntime implements Runtime {
  readonly instances = new Map<string, InstanceInfo>();
  readonly calls: string[] = [];
  readonly released: string[] = [];
  #faults = new Map<string, Error>();
  #nodes: string[];
  #seq = 0;

  constructor(nodes: string[] = ["node-a", "node-b"]) {
    this.#nodes = nodes;
  }

  /**
   * Restores are post-copy: a restored copy's pages are `arriving` until a test moves it on
   * (`instances.get(name).pages = "complete"`), or until `memoryAfterInspects` inspections.
   */
  postCopy: { memoryAfterInspects?: number; ending?: "complete" | "failed" } | undefined;
  #inspections = new Map<string, number>();

  /** The next call of `operation` throws `error`. */
  failNext(operation: keyof Runtime, error: Error): void {
    this.#faults.set(operation, error);
  }

  removeNode(name: string): void {
    this.#nodes = this.#nodes.filter((n) => n !== name);
  }

  readonly #notReady = new Set<string>();

  /** The node as the platform reports it: Ready or not (a silent kubelet). */
  setReady(name: string, ready: boolean): void {
    if (ready) this.#notReady.delete(name);
    else this.#notReady.add(name);
  }

  #enter(operation: keyof Runtime, detail: string): void {
    this.calls.push(`${operation} ${detail}`);
    const fault = this.#faults.get(operation);
    if (fault) {
      this.#faults.delete(operation);
      throw fault;
    }
  }

  #node(name: string, migrationId?: string): void {
    if (!this.#nodes.includes(name)) {
      throw new RuntimeError("UNKNOWN_NODE", `unknown node ${name}`, false, { migrationId });
    }
  }

  async nodes(): Promise<NodeInfo[]> {
    return this.#nodes.map((name, i) => ({
      name,
      address: `10.213.0.${10 + i}`,
      ready: !this.#notReady.has(name),
      capacity: { instances: 8, memoryBytes: 8 << 30, diskBytes: 64 << 30 },
      allocated: {
        instances: [...this.instances.values()].filter((x) => x.node === name).length,
        memoryBytes: 0,
      },
      pressure: {
        memory: false,
        disk: false,
        cordoned: this.#marks.get(name)?.cordoned ?? false,
        draining: this.#marks.get(name)?.draining ?? false,
      },
    }));
  }

  readonly #marks = new Map<string, Required<NodeMarks>>();

  async markNode(node: string, marks: NodeMarks): Promise<NodeInfo> {
    this.#node(node);
    const before = this.#marks.get(node) ?? { cordoned: false, draining: false };
    const draining = marks.draining ?? (marks.cordoned === false ? false : before.draining);
    this.#marks.set(node, { draining, cordoned: draining || (marks.cordoned ?? before.cordoned) });
    const info = (await this.nodes()).find((n) => n.name === node);
    if (!info) throw new RuntimeError("UNKNOWN_NODE", `unknown node ${node}`, false);
    return info;
  }

  async features(): Promise<RuntimeFeatures> {
    return { criuVersion: "fake", kernel: "fake", preDump: false, lazyPages: false };
  }

  async run(spec: WorkloadSpec, identity: Identity): Promise<InstanceInfo> {
    this.#enter("run", identity.instance);
    this.#node(identity.node);
    const info: InstanceInfo = {
      instance: identity.instance,
      workload: identity.workload,
      node: identity.node,
      endpoint: `fake:${spec.httpPort}`,
      state: "running",
      identity,
      ...(spec.labels ? { labels: spec.labels } : {}),
    };
    this.instances.set(identity.instance, info);
    return info;
  }

  async inspect(instance: string): Promise<InstanceInfo | undefined> {
    const info = this.instances.get(instance);
    const after = this.postCopy?.memoryAfterInspects;
    if (info?.pages === "arriving" && after !== undefined) {
      const seen = (this.#inspections.get(instance) ?? 0) + 1;
      this.#inspections.set(instance, seen);
      if (seen >= after) {
        info.pages = this.postCopy?.ending ?? "complete";
        // As the local runtime does: a copy whose pages never came is stopped.
        if (info.pages === "failed") info.state = "stopped";
      }
    }
    return info;
  }

  async list(): Promise<InstanceInfo[]> {
    return [...this.instances.values()];
  }

  /** Whose memory each checkpoint and image holds, as a real image's metadata says. */
  readonly #sourceOf = new Map<string, Identity>();
  /** The source's labels, which a restored copy keeps (its spec travels in the image). */
  readonly #labelsOf = new Map<string, Record<string, string>>();

  async checkpoint(instance: string, options: CheckpointOptions): Promise<Checkpoint> {
    this.#enter("checkpoint", instance);
    const info = this.instances.get(instance);
    if (!info) throw new RuntimeError("NOT_FOUND", `no instance ${instance}`, false, options);
    if (!options.leaveRunning) info.state = "stopped";
    this.#seq += 1;
    this.#sourceOf.set(`ckpt-${this.#seq}`, { ...info.identity });
    if (info.labels) this.#labelsOf.set(`ckpt-${this.#seq}`, info.labels);
    return {
      id: `ckpt-${this.#seq}`,
      migrationId: options.migrationId,
      instance,
      node: info.node,
      leftRunning: options.leaveRunning,
      pauseMs: 120,
      frozenAt: Date.now() - 200,
      dumpMs: 200,
      sizeBytes: 1 << 24,
    };
  }

  async buildImage(
    checkpoint: Checkpoint,
    targetNode: string,
    options: BuildImageOptions = {},
  ): Promise<CheckpointImage> {
    this.#enter("buildImage", checkpoint.id);
    this.#node(targetNode, checkpoint.migrationId);
    const source = this.#sourceOf.get(checkpoint.id);
    if (source) this.#sourceOf.set(`local/${checkpoint.id}`, source);
    const transfer = deliveryOf(checkpoint.node, targetNode, options.transfer ?? "registry");
    if (options.transfer === "stream") {
      const pending = this.#toArchive.get(checkpoint.migrationId) ?? [];
      this.#toArchive.set(checkpoint.migrationId, [...pending, checkpoint]);
    }
    const labels = this.#labelsOf.get(checkpoint.id);
    if (labels) this.#labelsOf.set(`local/${checkpoint.id}`, labels);
    return {
      ref: `local/${checkpoint.id}`,
      digest: `sha256:${"0".repeat(64)}`,
      sizeBytes: checkpoint.sizeBytes,
      encrypted: true,
      buildMs: 50,
      transferMs: 20,
      transfer,
    };
  }

  async preflight(
    image: CheckpointImage,
    targetNode: string,
    _migrationId?: string,
  ): Promise<void> {
    this.#enter("preflight", image.ref);
    this.#node(targetNode);
  }

  async restore(
    image: CheckpointImage,
    targetNode: string,
    options: RestoreOptions,
  ): Promise<RestoredInstance> {
    // As the port says: preflight before anything is created.
    await this.preflight(image, targetNode, options.migrationId);
    this.#enter("restore", `${image.ref} ${options.identity.instance}`);
    this.#node(targetNode, options.migrationId);
    const source = this.#sourceOf.get(image.ref);
    const identity = {
      ...options.identity,
      incarnation: Math.max(options.identity.incarnation, (source?.incarnation ?? -1) + 1),
    };
    const info: RestoredInstance = {
      instance: options.identity.instance,
      workload: options.identity.workload,
      node: targetNode,
      endpoint: "fake:8080",
      state: "running",
      identity,
      restoreMs: 100,
      ...(this.postCopy ? { pages: "arriving" as const } : {}),
    };
    const labels = this.#labelsOf.get(image.ref);
    if (labels) info.labels = labels;
    this.instances.set(info.instance, info);
    this.cpuPriorities.set(info.instance, cpuPriorityOf(identity.role));
    return info;
  }

  /** The CPU cap of each instance that has one. */
  readonly cpuLimits = new Map<string, number>();

  async limitCpu(instance: string, cores: number | undefined): Promise<void> {
    this.#enter("limitCpu", `${instance} ${cores ?? "none"}`);
    if (!this.instances.has(instance)) throw new Error(`no instance ${instance}`);
    if (cores === undefined) this.cpuLimits.delete(instance);
    else this.cpuLimits.set(instance, cores);
  }

  /** The CPU priority of each restored or re-weighed instance. */
  readonly cpuPriorities = new Map<string, CpuPriority>();

  async setCpuPriority(instance: string, priority: CpuPriority): Promise<void> {
    this.#enter("setCpuPriority", `${instance} ${priority}`);
    if (!this.instances.has(instance)) throw new Error(`no instance ${instance}`);
    this.cpuPriorities.set(instance, priority);
  }

  async setIdentity(instance: string, identity: Identity): Promise<void> {
    this.#enter("setIdentity", instance);
    const info = this.instances.get(instance);
    if (info) info.identity = identity;
  }

  async stop(instance: string): Promise<void> {
    this.#enter("stop", instance);
    const info = this.instances.get(instance);
    if (info) info.state = "stopped";
  }

  async remove(instance: string): Promise<void> {
    this.#enter("remove", instance);
    this.instances.delete(instance);
    this.cpuPriorities.delete(instance);
  }

  /** Streamed checkpoints of each migration not archived yet (see `archiveImages`). */
  readonly #toArchive = new Map<string, Checkpoint[]>();

  async archiveImages(migrationId: string): Promise<CheckpointImage[]> {
    this.#enter("archiveImages", migrationId);
    const pending = this.#toArchive.get(migrationId) ?? [];
    this.#toArchive.delete(migrationId);
    return pending.map((c) => ({
      ref: `registry/shadow/${migrationId}:${c.id}@sha256:${"1".repeat(64)}`,
      digest: `sha256:${"1".repeat(64)}`,
      sizeBytes: c.sizeBytes,
      encrypted: true,
      buildMs: 50,
      transferMs: 30,
      transfer: "registry",
    }));
  }

  async release(migrationId: string): Promise<void> {
    this.#enter("release", migrationId);
    this.released.push(migrationId);
  }
}
