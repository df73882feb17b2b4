import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

const CGROUP_ROOT = "/sys/fs/cgroup";

/** A process holding memory inside a node's cgroup, as a greedy neighbour on that node would. */
export interface MemoryFiller {
  /** Resolves once `mib` MiB are allocated and touched (charged to the node). */
  fill(mib: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a process in a cgroup of its own under `node`'s cgroup (memory, and the unified
 * hierarchy PSI is read from), so what it allocates counts against the node's limit. The node's
 * cgroup exists once an instance ran there.
 */
export async function startMemoryFiller(node: string, name: string): Promise<MemoryFiller> {
  const paths = ["memory", "unified"].map((h) => join(CGROUP_ROOT, h, "shadow", node, name));
  for (const p of paths) await mkdir(p, { recursive: true });
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [new URL("./fixtures/fill-memory.mjs", import.meta.url).pathname],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  await new Promise<void>((ready, fail) => {
    child.once("spawn", ready);
    child.once("error", fail);
  });
  for (const p of paths) await writeFile(join(p, "cgroup.procs"), String(child.pid));
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  return {
    async fill(mib) {
      child.stdin.write(`fill ${mib}\n`);
      const deadline = Date.now() + 60_000;
      while (!output.includes("filled")) {
        if (Date.now() > deadline) throw new Error(`the filler did not fill ${mib} MiB in time`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      child.kill("SIGKILL");
      await exited;
      // Empty now: the cgroups can go (retried, the kernel frees a dead task's cgroup lazily).
      for (const p of paths) {
        for (let i = 0; i < 50; i++) {
          const gone = await rmdir(p).then(
            () => true,
            (e: NodeJS.ErrnoException) => e.code === "ENOENT",
          );
          if (gone) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
  };
}
