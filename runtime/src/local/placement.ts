import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CapacityError, InstanceExistsError, UnknownNodeError } from "../errors.ts";
import type { Identity, WorkloadSpec } from "../types.ts";
import {
  claimAddress,
  createInstanceNet,
  destroyInstanceNet,
  instanceNetNames,
  releaseAddress,
} from "./instance-net.ts";
import type { Layout } from "./layout.ts";
import { withFileLock } from "./lock.ts";
import { allocatedOn, readNode } from "./nodes.ts";
import { type InstanceRecord, readRecords, writeJsonAtomic, writeRecord } from "./records.ts";
import { removeTree } from "./remove-tree.ts";
import type { Runc } from "./runc.ts";
import { ensureSpareNet, takeSpareNet } from "./spare-net.ts";

export interface PlacementDeps {
  layout: Layout;
  runc: Runc;
  bridge: string;
  /** Instance networks to keep ready (spare-net.ts); 0 or absent: built at each placement. */
  spareNets?: number;
}

/** After a placement, a new spare is built this much later, off the placing caller's path. */
const REPLENISH_AFTER_MS = 1_000;

/**
 * Reserves room for one new instance on a node: checks the node exists and has capacity,
 * claims an address, writes the instance's record (so the room counts at once for anyone
 * else placing), creates its network namespace and identity file. Everything under one
 * cross-process lock, so two restores cannot both take the last slot.
 *
 * Returns the record; on any later failure the caller calls `unplace` to leave nothing behind.
 */
export async function place(
  deps: PlacementDeps,
  input: {
    node: string;
    spec: WorkloadSpec;
    identity: Identity;
    migrationId?: string;
    restoredFrom?: string;
    postCopy?: boolean;
  },
): Promise<InstanceRecord> {
  const { layout } = deps;
  const errorOptions = { migrationId: input.migrationId };
  const instance = input.identity.instance;
  await mkdir(layout.stateDir, { recursive: true });
  const { record, fromSpare } = await withFileLock(layout.lockFile, async () => {
    const node = await readNode(layout, input.node);
    if (!node) throw new UnknownNodeError(input.node, errorOptions);
    const records = await readRecords(layout);
    if (records.some((r) => r.instance === instance))
      throw new InstanceExistsError(instance, errorOptions);
    if (node.cordoned) throw new CapacityError(node.name, "the node is cordoned", errorOptions);
    const used = allocatedOn(node.name, records);
    if (used.instances + 1 > node.capacity.instances) {
      throw new CapacityError(
        node.name,
        `all ${node.capacity.instances} instance slots are taken`,
        errorOptions,
      );
    }
    if (used.memoryBytes + input.spec.memoryBytes > node.capacity.memoryBytes) {
      const freeMiB = Math.floor((node.capacity.memoryBytes - used.memoryBytes) / 2 ** 20);
      const wantMiB = Math.ceil(input.spec.memoryBytes / 2 ** 20);
      throw new CapacityError(node.name, `${wantMiB} MiB asked, ${freeMiB} MiB left`, errorOptions);
    }
    const spare = deps.spareNets ? await takeSpareNet(layout, instance) : undefined;
    const address = spare?.address ?? (await claimAddress(layout, instance));
    if (!address)
      throw new CapacityError(node.name, "no instance address left on the bridge", errorOptions);
    const net = spare ?? instanceNetNames(address);
    const created: InstanceRecord = {
      instance,
      workload: input.identity.workload,
      node: node.name,
      address,
      netns: net.netns,
      veth: net.veth,
      containerId: instance,
      spec: input.spec,
      identity: { ...input.identity, node: node.name },
      createdAt: new Date().toISOString(),
      ...(input.restoredFrom && { restoredFrom: input.restoredFrom }),
      ...(input.postCopy && { postCopy: true }),
    };
    await writeRecord(layout, created);
    return { record: created, fromSpare: spare !== undefined };
  });
  try {
    if (!fromSpare) {
      await createInstanceNet(
        { netns: record.netns, veth: record.veth, address: record.address },
        deps.bridge,
      );
    }
    await writeIdentity(layout, record);
  } catch (err) {
    await unplace(deps, record);
    throw err;
  }
  if (deps.spareNets) replenishLater(deps, deps.spareNets);
  return record;
}

/** Tops the spares up in the background, after `delayMs` (0: at once). */
export function replenishLater(
  deps: PlacementDeps,
  count: number,
  delayMs = REPLENISH_AFTER_MS,
): void {
  const timer = setTimeout(() => {
    ensureSpareNet(deps.layout, deps.bridge, count).catch(() => {
      // No spare now: the next placement builds its own network, as without spares.
    });
  }, delayMs);
  // A spare is an optimisation: it must not keep a finished process alive.
  timer.unref();
}

/** Removes every trace of an instance: container, namespace, veth, address, state directory. */
export async function unplace(deps: PlacementDeps, record: InstanceRecord): Promise<void> {
  await deps.runc.deleteForce(record.containerId);
  await destroyInstanceNet(record);
  await removeTree(deps.layout.instance(record.node, record.instance));
  await releaseAddress(deps.layout, record.address);
}

export function identityDir(layout: Layout, record: InstanceRecord): string {
  return join(layout.instance(record.node, record.instance), "identity");
}

/** Rewrites the identity file atomically; the instance sees it through its directory mount. */
export async function writeIdentity(layout: Layout, record: InstanceRecord): Promise<void> {
  const dir = identityDir(layout, record);
  await mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, "identity.json"), record.identity);
}
