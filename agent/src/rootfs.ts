import { mkdir, readFile, rm } from "node:fs/promises";
import { run } from "./exec.ts";

/**
 * A restored process's root file system: a writable snapshot of its image in the node's
 * containerd (the image's layers, shared, read-only; a layer of its own on top), mounted where
 * runc finds it. The snapshot is marked a garbage-collection root, so containerd keeps it for as
 * long as the process runs, and removed with it.
 */
export class RootfsSnapshots {
  constructor(
    private readonly ctr: string,
    private readonly socket: string,
    private readonly namespace: string,
  ) {}

  private call(args: string[]): Promise<string> {
    return run(this.ctr, ["--address", this.socket, "--namespace", this.namespace, ...args]);
  }

  /** Mounts a writable snapshot of `image` at `dir` (its key is the directory). */
  async mount(image: string, dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await this.call(["images", "mount", "--rw", image, dir]);
    try {
      await this.call([
        "snapshots",
        "label",
        dir,
        `containerd.io/gc.root=${new Date().toISOString()}`,
      ]);
    } catch (error) {
      await this.unmount(dir);
      throw error;
    }
  }

  /** Unmounts and removes the snapshot; nothing happens when there is none. */
  async unmount(dir: string): Promise<void> {
    if (await isMounted(dir)) await this.call(["images", "unmount", "--rm", dir]);
    else await this.call(["snapshots", "rm", dir]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** The overlay's upper directory: what the process changed in its root file system. */
export async function upperDir(dir: string): Promise<string | undefined> {
  const mounts = await readFile("/proc/self/mountinfo", "utf8");
  for (const line of mounts.split("\n")) {
    const fields = line.split(" ");
    if (fields[4] !== dir) continue;
    return /(?:^|,)upperdir=([^,]+)/.exec(line.split(" - ")[1] ?? "")?.[1];
  }
  return undefined;
}

async function isMounted(dir: string): Promise<boolean> {
  const mounts = await readFile("/proc/self/mountinfo", "utf8");
  return mounts.split("\n").some((line) => line.split(" ")[4] === dir);
}
