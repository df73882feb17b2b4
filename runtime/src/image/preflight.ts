import type { TargetFacts } from "./host-facts.ts";
import type { CheckpointMetadata } from "./metadata.ts";

/**
 * Can the target restore this checkpoint? Returns the reasons to refuse, one sentence each;
 * an empty list means go. Pure, so the policy is tested without a second machine.
 *
 * - architecture: CRIU images hold machine code and register state: same architecture only;
 * - CPU flags: the restored process may already have chosen code paths (AVX-512, SHA-NI...)
 *   from the source's flags, so the target's must be a superset;
 * - CRIU: newer CRIU reads older images, not the reverse: the target's must be at least the
 *   source's;
 * - kernel: restore may need the kernel features the dump used: the target's release must be
 *   at least the source's major.minor;
 * - memory and disk: the process needs its memory back, the unpacked dump needs its bytes.
 */
export function preflightReasons(meta: CheckpointMetadata, target: TargetFacts): string[] {
  const reasons: string[] = [];
  if (meta.arch !== target.arch) {
    reasons.push(`architecture differs: image is ${meta.arch}, ${target.node} is ${target.arch}`);
  }
  const have = new Set(target.cpuFlags);
  const missing = meta.cpuFlags.filter((f) => !have.has(f));
  if (missing.length > 0) {
    const shown = missing.slice(0, 12).join(" ");
    const more = missing.length > 12 ? ` and ${missing.length - 12} more` : "";
    reasons.push(`${target.node} lacks CPU flags the source had: ${shown}${more}`);
  }
  if (compareVersions(target.criuVersion, meta.criuVersion) < 0) {
    reasons.push(
      `${target.node} has CRIU ${target.criuVersion}, older than the CRIU ${meta.criuVersion} that wrote the image`,
    );
  }
  if (compareVersions(majorMinor(target.kernel), majorMinor(meta.kernel)) < 0) {
    reasons.push(
      `${target.node} runs kernel ${target.kernel}, older than the source's ${meta.kernel}`,
    );
  }
  if (target.freeMemoryBytes < meta.memoryBytes) {
    reasons.push(
      `${target.node} has ${mib(target.freeMemoryBytes)} of memory free, the process needs ${mib(meta.memoryBytes)}`,
    );
  }
  if (target.freeDiskBytes < meta.dumpBytes) {
    reasons.push(
      `${target.node} has ${mib(target.freeDiskBytes)} of disk free, the dump needs ${mib(meta.dumpBytes)}`,
    );
  }
  return reasons;
}

/** Compares dotted numeric versions ("4.2" < "4.2.1" < "4.10"); non-numeric tails are ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = numbers(a);
  const pb = numbers(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function numbers(version: string): number[] {
  const head = /^[0-9]+(?:\.[0-9]+)*/.exec(version.trim())?.[0] ?? "0";
  return head.split(".").map(Number);
}

/** "6.18.44-fc-v669" → "6.18". */
function majorMinor(kernel: string): string {
  return numbers(kernel).slice(0, 2).join(".");
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
