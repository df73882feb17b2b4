import { access, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { NodeMemoryPsi } from "../types.ts";

/**
 * Each node's cgroup: every instance of a node lives under it, as a kubelet puts its pods under
 * one `kubepods` cgroup. It is what a node's memory pressure is read from: what the node's
 * processes use against the node's capacity (its memory limit), and PSI for the node as a
 * whole (the unified hierarchy's memory.pressure counts every task below it). Without it the
 * instances sat side by side under /shadow and no figure said how a node as a whole was doing.
 *
 *   <hierarchy>/shadow/<node>/<instance>
 *
 * The cpu hierarchy nests the same way, so a node's group weighs the sum of its instances'
 * cpu.shares (see `reweighNode`): CPU is then shared among all instances as it was when they
 * were siblings, a shadow still yielding to its source on another node.
 */
export const CGROUP_ROOT = "/sys/fs/cgroup";

export function nodeCgroup(node: string): string {
  return `/shadow/${node}`;
}

/** The cgroup path (relative to each hierarchy) of an instance placed on `node`. */
export function instanceCgroup(node: string, containerId: string): string {
  return `${nodeCgroup(node)}/${containerId}`;
}

/**
 * The cgroup an instance is in: under its node, or directly under /shadow for an instance
 * started before nodes had a cgroup of their own (it keeps that place until it is moved).
 */
export async function resolveInstanceCgroup(
  node: string,
  containerId: string,
  root = CGROUP_ROOT,
): Promise<string> {
  const nested = instanceCgroup(node, containerId);
  const found = await access(join(root, "freezer", nested)).then(
    () => true,
    () => false,
  );
  return found ? nested : `/shadow/${containerId}`;
}

/**
 * Creates the node's cgroup where it is missing (memory, cpu and the unified hierarchy, for
 * PSI) and limits its memory to the node's capacity, so a node cannot take more of the
 * machine than it declares. `extraShares` weighs in an instance about to start under it.
 */
export async function ensureNodeCgroup(
  node: string,
  memoryLimitBytes: number,
  extraShares = 0,
  root = CGROUP_ROOT,
): Promise<void> {
  const path = nodeCgroup(node);
  await Promise.all(
    ["memory", "cpu", "unified"].map((h) =>
      mkdir(join(root, h, path), { recursive: true }).catch(() => undefined),
    ),
  );
  // Refused while the node uses more than the new limit (EBUSY): the old limit stays.
  await writeFile(
    join(root, "memory", path, "memory.limit_in_bytes"),
    String(Math.floor(memoryLimitBytes)),
  ).catch(() => undefined);
  await reweighNode(node, extraShares, root);
}

/**
 * Sets a node's cpu.shares to the sum of its instances' (at least 2, the kernel's minimum).
 * Why: CFS shares CPU among siblings by weight, and the node groups are siblings; a node
 * group of the default weight would give a lone shadow on one node as much CPU as its source
 * on another, which the instances' weights exist to prevent (cpu-weight.ts).
 */
export async function reweighNode(node: string, extraShares = 0, root = CGROUP_ROOT) {
  const dir = join(root, "cpu", nodeCgroup(node));
  const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const shares = await Promise.all(
    children
      .filter((c) => c.isDirectory())
      .map((c) =>
        readFile(join(dir, c.name, "cpu.shares"), "utf8").then(
          (text) => Number(text.trim()) || 0,
          () => 0,
        ),
      ),
  );
  const total = Math.max(2, shares.reduce((a, b) => a + b, 0) + extraShares);
  await writeFile(join(dir, "cpu.shares"), String(total)).catch(() => undefined);
}

export interface NodeMemoryReading {
  usedBytes: number;
  limitBytes: number;
  psi?: NodeMemoryPsi;
}

/**
 * What the node's cgroup charges now (its instances' memory and page cache, and any other
 * process placed in it) against its limit, and its memory PSI where the kernel keeps it per
 * cgroup. Undefined when the node has no cgroup yet (nothing ever ran on it).
 */
export async function readNodeMemory(
  node: string,
  root = CGROUP_ROOT,
): Promise<NodeMemoryReading | undefined> {
  const path = nodeCgroup(node);
  const [used, limit, pressure] = await Promise.all([
    readFile(join(root, "memory", path, "memory.usage_in_bytes"), "utf8").catch(() => undefined),
    readFile(join(root, "memory", path, "memory.limit_in_bytes"), "utf8").catch(() => undefined),
    readFile(join(root, "unified", path, "memory.pressure"), "utf8").catch(() => undefined),
  ]);
  if (used === undefined || limit === undefined) return undefined;
  const reading: NodeMemoryReading = {
    usedBytes: Number(used.trim()),
    limitBytes: Number(limit.trim()),
  };
  const psi = pressure === undefined ? undefined : parsePsi(pressure);
  if (psi) reading.psi = psi;
  return reading;
}

/** Bytes an instance's memory cgroup charges now; undefined when it has none. */
export async function instanceMemoryUsage(
  cgroup: string,
  root = CGROUP_ROOT,
): Promise<number | undefined> {
  const text = await readFile(join(root, "memory", cgroup, "memory.usage_in_bytes"), "utf8").catch(
    () => undefined,
  );
  return text === undefined ? undefined : Number(text.trim()) || 0;
}

/**
 * Parses a PSI file (`/proc/pressure/memory` or a cgroup's `memory.pressure`):
 *
 *   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
 *   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
 */
export function parsePsi(text: string): NodeMemoryPsi | undefined {
  const line = (kind: string) => {
    const m = new RegExp(`^${kind} avg10=([\\d.]+) avg60=([\\d.]+)`, "m").exec(text);
    return m ? { avg10: Number(m[1]), avg60: Number(m[2]) } : undefined;
  };
  const some = line("some");
  const full = line("full");
  return some && full ? { some, full } : undefined;
}
