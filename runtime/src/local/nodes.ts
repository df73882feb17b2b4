import { readdir, readFile, statfs } from "node:fs/promises";
import { z } from "zod";
import { UnknownNodeError } from "../errors.ts";
import type { NodeInfo, NodeMarks, NodePressure } from "../types.ts";
import type { Layout } from "./layout.ts";
import { withFileLock } from "./lock.ts";
import { readNodeMemory } from "./node-cgroup.ts";
import { type InstanceRecord, writeJsonAtomic } from "./records.ts";

/** A node as deploy/local/nodes.sh describes it in nodes/<node>/node.json. */
export const LocalNode = z.object({
  name: z.string(),
  address: z.string(),
  netns: z.string(),
  veth: z.string(),
  capacity: z.object({
    instances: z.number().int().nonnegative(),
    memoryBytes: z.number().nonnegative(),
  }),
  cordoned: z.boolean().optional(),
  draining: z.boolean().optional(),
});
export type LocalNode = z.infer<typeof LocalNode>;

export async function readNode(layout: Layout, name: string): Promise<LocalNode | undefined> {
  const text = await readFile(layout.nodeFile(name), "utf8").catch(() => undefined);
  return text === undefined ? undefined : LocalNode.parse(JSON.parse(text));
}

export async function readNodes(layout: Layout): Promise<LocalNode[]> {
  const names = await readdir(layout.nodesDir).catch(() => [] as string[]);
  const nodes = await Promise.all(names.sort().map((n) => readNode(layout, n)));
  return nodes.filter((n): n is LocalNode => n !== undefined);
}

/** The instances and memory already placed on a node. */
export function allocatedOn(node: string, records: InstanceRecord[]): NodeInfo["allocated"] {
  const mine = records.filter((r) => r.node === node);
  return {
    instances: mine.length,
    memoryBytes: mine.reduce((sum, r) => sum + r.spec.memoryBytes, 0),
  };
}

/**
 * Sets a node's cordon and drain marks in its node.json, under the runtime's lock so a
 * placement never reads a half-written node. Draining implies cordoned; uncordoning ends a
 * drain too.
 */
export async function markLocalNode(
  layout: Layout,
  name: string,
  marks: NodeMarks,
): Promise<LocalNode> {
  return withFileLock(layout.lockFile, async () => {
    const node = await readNode(layout, name);
    if (!node) throw new UnknownNodeError(name);
    const draining =
      marks.draining ?? (marks.cordoned === false ? false : (node.draining ?? false));
    const cordoned = draining || (marks.cordoned ?? node.cordoned ?? false);
    const updated: LocalNode = { ...node, cordoned, draining };
    await writeJsonAtomic(layout.nodeFile(name), updated);
    return updated;
  });
}

/**
 * Thresholds beyond which a node reports pressure in its `pressure.memory` flag. pressure-svc
 * reads the figures and applies its own, configurable marks; these are for a quick look.
 */
const MEMORY_AVAILABLE_MIN = 0.1;
const MEMORY_PSI_SOME_AVG10_MAX = 10;
const NODE_MEMORY_USED_MAX = 0.9;
const DISK_FREE_MIN = 0.1;

export async function describeNode(
  layout: Layout,
  node: LocalNode,
  records: InstanceRecord[],
): Promise<NodeInfo> {
  const [mem, machinePsi, own, disk] = await Promise.all([
    meminfo(),
    memoryPsiAvg10(),
    readNodeMemory(node.name),
    diskOf(layout.node(node.name)),
  ]);
  // The node's own PSI where its cgroup has one; the machine's otherwise (nodes share a kernel).
  const psi = own?.psi?.some.avg10 ?? machinePsi;
  const pressure: NodePressure = {
    memory:
      mem.availableBytes < mem.totalBytes * MEMORY_AVAILABLE_MIN ||
      (psi !== undefined && psi > MEMORY_PSI_SOME_AVG10_MAX) ||
      (own !== undefined && own.usedBytes > own.limitBytes * NODE_MEMORY_USED_MAX),
    disk: disk.freeBytes < disk.totalBytes * DISK_FREE_MIN,
    cordoned: (node.cordoned ?? false) || (node.draining ?? false),
    draining: node.draining ?? false,
  };
  if (psi !== undefined) pressure.memoryPsiAvg10 = psi;
  if (own?.psi) pressure.memoryPsi = own.psi;
  if (own) {
    // An unlimited cgroup reports a huge limit: the node's declared capacity is its limit then.
    const limitBytes = Math.min(own.limitBytes, node.capacity.memoryBytes);
    pressure.memoryUsage = { usedBytes: own.usedBytes, limitBytes };
  }
  return {
    name: node.name,
    address: node.address,
    ready: true,
    capacity: {
      instances: node.capacity.instances,
      memoryBytes: node.capacity.memoryBytes,
      diskBytes: disk.totalBytes,
    },
    allocated: allocatedOn(node.name, records),
    pressure,
  };
}

/** This machine's memory (nodes share it: they are namespaces of one kernel). */
export async function meminfo(): Promise<{ totalBytes: number; availableBytes: number }> {
  const text = await readFile("/proc/meminfo", "utf8");
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0) * 1024;
  return { totalBytes: kb("MemTotal"), availableBytes: kb("MemAvailable") };
}

/** PSI `some avg10` for memory, where the kernel has /proc/pressure. */
export async function memoryPsiAvg10(): Promise<number | undefined> {
  const text = await readFile("/proc/pressure/memory", "utf8").catch(() => undefined);
  const value = text === undefined ? undefined : /^some avg10=([\d.]+)/m.exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

export async function diskOf(path: string): Promise<{ totalBytes: number; freeBytes: number }> {
  const s = await statfs(path);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}
