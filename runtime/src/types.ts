/**
 * The runtime port: every piece of node work a shadow service needs. Services receive an
 * implementation at start-up and never import an adapter. Adapters: `local` (runc + CRIU +
 * network namespaces on one machine) and, later, `kubernetes`. Nothing here may name a
 * local-only concept (bundles, netns paths, runc ids): those stay inside the adapter.
 */

import type { Identity as ContractIdentity } from "@shadow/contract";

export interface NodeInfo {
  name: string;
  /** Address where the node's instances are reachable from the control plane. */
  address: string;
  ready: boolean;
  capacity: { instances: number; memoryBytes: number; diskBytes: number };
  allocated: { instances: number; memoryBytes: number };
  pressure: NodePressure;
}

export interface NodePressure {
  memory: boolean;
  disk: boolean;
  /** PSI "some avg10" for memory where the kernel exposes it. */
  memoryPsiAvg10?: number;
  cordoned: boolean;
}

/**
 * Who an instance is: the contract's identity file, mounted into the instance and not part of
 * its checkpoint, so a restored copy re-reads it and learns its new identity. The runtime
 * counts incarnations (a restore raises the copy's above the source's); the file allows text.
 */
export type Identity = ContractIdentity & { incarnation: number };

export interface WorkloadSpec {
  /** Path to a self-contained JavaScript entry file, run with the machine's Node.js. */
  entry: string;
  args?: string[];
  env?: Record<string, string>;
  /** Memory the instance may use; counted against the node's capacity. */
  memoryBytes: number;
  /** TCP port the instance serves HTTP on (status, health, state). */
  httpPort: number;
  /**
   * What the instance's deployer declares about it, as a Kubernetes pod's labels do (e.g.
   * what it can take part in). Kept with the instance and by every copy restored from it.
   */
  labels?: Record<string, string>;
}

export interface InstanceInfo {
  instance: string;
  workload: string;
  node: string;
  /** Address (host:port) of the instance's HTTP endpoint. */
  endpoint: string;
  state: "running" | "paused" | "stopped";
  identity: Identity;
  pid?: number;
  /** The labels of its spec (see WorkloadSpec.labels). */
  labels?: Record<string, string>;
}

/** See `Runtime.setCpuPriority`. */
export type CpuPriority = "serving" | "shadow";

export interface CheckpointOptions {
  /** true: the source keeps running (ShadowPod); false: it is stopped (sequential). */
  leaveRunning: boolean;
  migrationId: string;
}

export interface Checkpoint {
  id: string;
  migrationId: string;
  instance: string;
  node: string;
  leftRunning: boolean;
  /** How long the source was frozen. */
  pauseMs: number;
  /** When the freeze began (ms since epoch): with `pauseMs`, the window the source was frozen. */
  frozenAt: number;
  dumpMs: number;
  sizeBytes: number;
}

export interface CheckpointImage {
  /** Pullable reference (registry) or node-local reference (node-to-node transfer). */
  ref: string;
  digest: string;
  sizeBytes: number;
  encrypted: boolean;
  buildMs: number;
  /** Delivery until the dump lies verified and unpacked on the target node (push and pull). */
  transferMs: number;
  /** How it was delivered: `same-node` when it was built on the target, and nothing moved. */
  transfer: "registry" | "node-to-node" | "same-node";
}

export interface BuildImageOptions {
  /** Overrides the runtime's configured transfer for this image. */
  transfer?: "registry" | "node-to-node" | undefined;
}

export interface RestoreOptions {
  migrationId: string;
  identity: Identity;
}

export interface RestoredInstance extends InstanceInfo {
  restoreMs: number;
  /**
   * Where the restore's time went: the target's preflight, getting the dump into place (a
   * rename of the delivered copy, or a pull again after a crash), the instance's namespace and
   * bundle, and CRIU's restore.
   */
  breakdown?: { preflightMs: number; pullMs: number; placeMs: number; criuMs: number };
}

export interface RuntimeFeatures {
  criuVersion: string;
  kernel: string;
  /** Iterative pre-dump needs the kernel's soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY). */
  preDump: boolean;
  /** Post-copy restore through CRIU's page server needs userfaultfd. */
  lazyPages: boolean;
}

export interface Runtime {
  nodes(): Promise<NodeInfo[]>;
  features(): Promise<RuntimeFeatures>;
  run(spec: WorkloadSpec, identity: Identity): Promise<InstanceInfo>;
  inspect(instance: string): Promise<InstanceInfo | undefined>;
  list(): Promise<InstanceInfo[]>;
  checkpoint(instance: string, options: CheckpointOptions): Promise<Checkpoint>;
  buildImage(
    checkpoint: Checkpoint,
    targetNode: string,
    options?: BuildImageOptions,
  ): Promise<CheckpointImage>;
  /**
   * Refuses with a PreflightError when the target cannot run the image (read from the image's
   * manifest, before any layer is fetched). `migrationId` is carried by the errors.
   */
  preflight(image: CheckpointImage, targetNode: string, migrationId?: string): Promise<void>;
  /**
   * Preflights first (as `preflight`), so a refused target gets nothing created on it. The copy
   * wakes up with `options.identity`, its incarnation raised above the source's as the image
   * records it (so a copy always knows it is not the process that was dumped).
   */
  restore(
    image: CheckpointImage,
    targetNode: string,
    options: RestoreOptions,
  ): Promise<RestoredInstance>;
  /**
   * Caps an instance's CPU at `cores` (0.25: a quarter of one CPU), or lifts the cap
   * (undefined). A source that keeps a shadow from catching up is slowed this way, as a live
   * VM migration's auto-converge throttles the guest.
   */
  limitCpu(instance: string, cores: number | undefined): Promise<void>;
  /**
   * How an instance weighs against the other instances of its node when CPU is short: a
   * shadow (`shadow`) takes only what the serving ones leave; `serving` once it serves. A
   * restore starts a copy whose identity says shadow at `shadow`, anything else at `serving`.
   */
  setCpuPriority(instance: string, priority: CpuPriority): Promise<void>;
  /** Rewrites an instance's identity file (e.g. shadow → primary) without restarting it. */
  setIdentity(instance: string, identity: Identity): Promise<void>;
  stop(instance: string): Promise<void>;
  remove(instance: string): Promise<void>;
  /** Deletes every dump and image of a finished or rolled-back migration. */
  release(migrationId: string): Promise<void>;
}
