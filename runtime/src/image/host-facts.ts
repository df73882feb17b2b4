import { execFile } from "node:child_process";
import { readFile, statfs } from "node:fs/promises";
import { release } from "node:os";
import { promisify } from "node:util";
import { ociArch } from "./oci.ts";

/**
 * Facts about this machine that decide whether a checkpoint can be restored here: what the
 * metadata records at dump time and what preflight compares at restore time.
 */

export interface HostFacts {
  kernel: string;
  arch: string;
  cpuFlags: string[];
}

export interface TargetFacts extends HostFacts {
  node: string;
  criuVersion: string;
  freeMemoryBytes: number;
  freeDiskBytes: number;
}

/**
 * CPU flags every processor has (the intersection: a process may be scheduled on any of
 * them), from /proc/cpuinfo. Empty when the file has no flags lines (not x86).
 */
export function parseCpuFlags(cpuinfo: string): string[] {
  let common: Set<string> | undefined;
  for (const line of cpuinfo.split("\n")) {
    const match = /^flags\s*:\s*(.*)$/.exec(line);
    if (!match) continue;
    const flags = new Set((match[1] ?? "").split(/\s+/).filter(Boolean));
    common = common === undefined ? flags : new Set([...common].filter((f) => flags.has(f)));
  }
  return [...(common ?? [])].sort();
}

export async function hostFacts(): Promise<HostFacts> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  return { kernel: release(), arch: ociArch(), cpuFlags: parseCpuFlags(cpuinfo) };
}

/** MemAvailable from /proc/meminfo: what can be allocated without swapping. */
export async function availableMemoryBytes(): Promise<number> {
  const meminfo = await readFile("/proc/meminfo", "utf8");
  const kib = /^MemAvailable:\s+(\d+) kB$/m.exec(meminfo)?.[1];
  if (kib === undefined) throw new Error("no MemAvailable in /proc/meminfo");
  return Number(kib) * 1024;
}

/** Bytes an unprivileged writer could still put on the file system holding `dir`. */
export async function freeDiskBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** "Version: 4.2" from `criu --version` (the first line), as "4.2". */
export function parseCriuVersion(output: string): string {
  const match = /Version:\s*([0-9]+(?:\.[0-9]+)*)/.exec(output);
  if (!match?.[1])
    throw new Error(`cannot read a CRIU version from: ${output.trim().slice(0, 200)}`);
  return match[1];
}

export async function criuVersion(criu = "criu"): Promise<string> {
  const { stdout } = await promisify(execFile)(criu, ["--version"], { timeout: 10_000 });
  return parseCriuVersion(stdout);
}

/**
 * Facts that hold for the life of this process (the kernel, the CPU, the CRIU binary at a
 * path), read once: every restore preflights, and a `criu --version` process on a busy machine
 * costs the restore tens of milliseconds. A failed read is not kept.
 */
const lasting = new Map<string, Promise<unknown>>();

function once<T>(key: string, read: () => Promise<T>): Promise<T> {
  let value = lasting.get(key) as Promise<T> | undefined;
  if (!value) {
    value = read();
    lasting.set(key, value);
    value.catch(() => lasting.delete(key));
  }
  return value;
}

/** Everything preflight needs about a target whose state lives in `stateDir` on this machine. */
export async function localTargetFacts(
  node: string,
  stateDir: string,
  criu = "criu",
): Promise<TargetFacts> {
  const [facts, version, memory, disk] = await Promise.all([
    once("host", hostFacts),
    once(`criu:${criu}`, () => criuVersion(criu)),
    availableMemoryBytes(),
    freeDiskBytes(stateDir),
  ]);
  return { ...facts, node, criuVersion: version, freeMemoryBytes: memory, freeDiskBytes: disk };
}
