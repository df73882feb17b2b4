import { readdir, readFile, statfs } from "node:fs/promises";
import { z } from "zod";
import type { NodeInfo, NodePressure } from "../types.ts";
import type { Layout } from "./layout.ts";
import type { InstanceRecord } from "./records.ts";

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

/** Thresholds beyond which a node reports pressure. */
const MEMORY_AVAILABLE_MIN = 0.1;
const MEMORY_PSI_SOME_AVG10_MAX = 10;
const DISK_FREE_MIN = 0.1;

export async function describeNode(
  layout: Layout,
  node: LocalNode,
  records: InstanceRecord[],
): Promise<NodeInfo> {
  const [mem, psi, disk] = await Promise.all([
    meminfo(),
    memoryPsiAvg10(),
    diskOf(layout.node(node.name)),
  ]);
  const pressure: NodePressure = {
    memory:
      mem.availableBytes < mem.totalBytes * MEMORY_AVAILABLE_MIN ||
      (psi !== undefined && psi > MEMORY_PSI_SOME_AVG10_MAX),
    disk: disk.freeBytes < disk.totalBytes * DISK_FREE_MIN,
    cordoned: node.cordoned ?? false,
  };
  if (psi !== undefined) pressure.memoryPsiAvg10 = psi;
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
