import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The container's cgroup-v1 freezer, driven directly. Why not `runc pause`: that is one more
 * process start-up (~10-20 ms) on each side of the freeze; why not let CRIU freeze: CRIU polls
 * the v1 freezer in 100 ms steps, so every dump would freeze the source for ≥ 100 ms. Here a
 * write and a tight poll (the kernel usually reports FROZEN within a millisecond for a small
 * process tree), then CRIU finds the cgroup frozen and starts dumping at once.
 */
export class Freezer {
  /** The cgroup's `freezer.state`: a process of our own may write THAWED there too. */
  readonly stateFile: string;

  constructor(cgroupPath: string, root = "/sys/fs/cgroup/freezer") {
    this.stateFile = join(root, cgroupPath, "freezer.state");
  }

  async state(): Promise<string> {
    return (await readFile(this.stateFile, "utf8")).trim();
  }

  /** Freezes and waits until the kernel reports FROZEN. */
  async freeze(timeoutMs = 5_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      // Writing FROZEN again is how the v1 interface asks the kernel to retry tasks that
      // were not yet frozen (freezer-subsystem.txt); runc does the same.
      await writeFile(this.stateFile, "FROZEN");
      if ((await this.state()) === "FROZEN") return;
      if (performance.now() > deadline) {
        await this.thaw().catch(() => undefined);
        throw new Error(`cgroup ${this.stateFile} did not freeze within ${timeoutMs} ms`);
      }
      if (attempt > 100) await new Promise((r) => setTimeout(r, 1));
    }
  }

  async thaw(): Promise<void> {
    await writeFile(this.stateFile, "THAWED");
  }
}
