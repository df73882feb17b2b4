import { readFile, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { exec } from "./exec.ts";

/** Mount points at or under `dir`, deepest first (mountinfo escapes spaces as \040). */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return info
    .split("\n")
    .map((line) => line.split(" ")[4]?.replace(/\\040/g, " "))
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(prefix)))
    .sort((a, b) => b.length - a.length);
}

/**
 * Deletes a directory tree that CRIU or runc may still have mounts in (CRIU's cgroup yard in
 * a restore's work dir outlives `runc restore -d` by a moment). Mounts are detached first, so
 * the recursive delete can never walk into a mounted file system; a busy one is retried.
 */
export async function removeTree(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    for (const mount of await mountsUnder(dir)) await exec("umount", ["-l", mount]);
    try {
      await rm(dir, { recursive: true, force: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EBUSY" || attempt >= 10) throw err;
      await sleep(100);
    }
  }
}
