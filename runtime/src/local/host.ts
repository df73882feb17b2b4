import { readFile } from "node:fs/promises";
import { arch, release } from "node:os";
import { exec } from "./exec.ts";

/** Facts about this machine, read once: CRIU's version, the kernel, the CPU flags. */
export interface HostInfo {
  facts: { criuVersion: string; kernel: string; arch: string; cpuFlags: string[] };
}

export async function readHostInfo(criu: string): Promise<HostInfo> {
  const [version, cpuinfo] = await Promise.all([
    exec(criu, ["--version"]).catch(() => ({ code: 1, stdout: "", stderr: "" })),
    readFile("/proc/cpuinfo", "utf8").catch(() => ""),
  ]);
  const criuVersion = /Version:\s*([0-9.]+)/.exec(version.stdout)?.[1] ?? "unknown";
  return {
    facts: {
      criuVersion,
      kernel: release(),
      arch: arch() === "x64" ? "amd64" : arch(),
      cpuFlags: cpuFlags(cpuinfo),
    },
  };
}

/** Flags every CPU has (a process may run on any of them). */
export function cpuFlags(cpuinfo: string): string[] {
  let common: Set<string> | undefined;
  for (const match of cpuinfo.matchAll(/^flags\s*:\s*(.*)$/gm)) {
    const flags = new Set((match[1] ?? "").split(/\s+/).filter(Boolean));
    common = common === undefined ? flags : new Set([...common].filter((f) => flags.has(f)));
  }
  return [...(common ?? [])].sort();
}
