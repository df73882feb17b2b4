import { PreflightError } from "../errors.ts";
import type { HostInfo } from "./host.ts";
import type { CheckpointDescription } from "./image-store.ts";
import { diskOf, meminfo } from "./nodes.ts";

/**
 * Refuses a restore the target cannot run, with every reason. Local nodes share one kernel
 * and CPU, so on one machine only memory and disk can really differ; the checks are the ones
 * a real second machine needs all the same.
 */
export async function checkPreflight(
  image: CheckpointDescription,
  host: HostInfo,
  nodeDir: string,
  node: string,
  migrationId: string,
): Promise<void> {
  const [mem, disk] = await Promise.all([meminfo(), diskOf(nodeDir)]);
  const reasons = preflightReasons(image, {
    ...host.facts,
    node,
    freeMemoryBytes: mem.availableBytes,
    freeDiskBytes: disk.freeBytes,
  });
  if (reasons.length > 0) throw new PreflightError(reasons, { migrationId });
}

export interface TargetFacts {
  node: string;
  criuVersion: string;
  kernel: string;
  arch: string;
  cpuFlags: string[];
  freeMemoryBytes: number;
  freeDiskBytes: number;
}

/** Pure: the reasons `target` cannot restore `image` (empty: it can). */
export function preflightReasons(image: CheckpointDescription, target: TargetFacts): string[] {
  const reasons: string[] = [];
  if (image.arch !== target.arch)
    reasons.push(`architecture: image ${image.arch}, ${target.node} ${target.arch}`);
  const have = new Set(target.cpuFlags);
  const missing = image.cpuFlags.filter((f) => !have.has(f));
  if (missing.length > 0)
    reasons.push(`${target.node} lacks CPU flags of the source: ${missing.slice(0, 10).join(" ")}`);
  if (compareVersions(target.criuVersion, image.criuVersion) < 0) {
    reasons.push(
      `${target.node} has CRIU ${target.criuVersion}, older than the image's ${image.criuVersion}`,
    );
  }
  if (compareVersions(target.kernel, image.kernel, 2) < 0) {
    reasons.push(
      `${target.node} runs kernel ${target.kernel}, older than the source's ${image.kernel}`,
    );
  }
  if (target.freeMemoryBytes < image.memoryBytes) {
    reasons.push(
      `${target.node} has ${mib(target.freeMemoryBytes)} memory free, the process needs ${mib(image.memoryBytes)}`,
    );
  }
  if (target.freeDiskBytes < image.dumpBytes) {
    reasons.push(
      `${target.node} has ${mib(target.freeDiskBytes)} disk free, the dump needs ${mib(image.dumpBytes)}`,
    );
  }
  return reasons;
}

/** Compares dotted versions on their first `parts` numbers ("6.18.44-x" vs "6.12"). */
export function compareVersions(a: string, b: string, parts = 4): number {
  const nums = (v: string) =>
    (/^[0-9]+(\.[0-9]+)*/.exec(v)?.[0] ?? "0").split(".").slice(0, parts).map(Number);
  const [pa, pb] = [nums(a), nums(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
