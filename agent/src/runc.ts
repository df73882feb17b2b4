import { open } from "node:fs/promises";
import { run } from "./exec.ts";

/** runc with the agent's own root (the kubelet's containers are not here) and CRIU 4.2. */
export class Runc {
  constructor(
    private readonly runc: string,
    private readonly root: string,
    private readonly criu: string,
  ) {}

  private args(rest: string[]): string[] {
    return ["--root", this.root, "--criu", this.criu, ...rest];
  }

  /**
   * Restores a dump detached. The process's stdout and stderr become the write end of a pipe,
   * as under the kubelet (whose shim holds the other end): a pipe is what CRIU can dump again
   * and what runc hands over at the next restore by its key. A file opened here would not do:
   * it lies outside the container's mounts, and CRIU refuses to dump it ("Can't lookup mount").
   * The read end belongs to a relay in its own session appending to `log`, so the copy keeps
   * its output while the agent restarts; it ends when the copy's last writer closes.
   */
  async restore(
    id: string,
    o: { bundle: string; imagePath: string; workPath: string; pidFile: string; log: string },
  ): Promise<void> {
    const log = await open(o.log, "a");
    try {
      await run(
        "bash",
        [
          "-c",
          // bash's process substitution makes a real pipe (Node's own stdio pipes are sockets).
          'exec "$@" > >(exec setsid cat >>"$0" 2>&1) 2>&1',
          o.log,
          this.runc,
          ...this.args([
            "restore",
            "-d",
            "--image-path",
            o.imagePath,
            "--work-path",
            o.workPath,
            "--bundle",
            o.bundle,
            "--pid-file",
            o.pidFile,
            id,
          ]),
        ],
        { output: log.fd, timeoutMs: 300_000 },
      );
    } finally {
      await log.close();
    }
  }

  async checkpoint(
    id: string,
    o: { imagePath: string; workPath: string; leaveRunning: boolean },
  ): Promise<void> {
    await run(
      this.runc,
      this.args([
        "checkpoint",
        ...(o.leaveRunning ? ["--leave-running"] : []),
        "--image-path",
        o.imagePath,
        "--work-path",
        o.workPath,
        id,
      ]),
      { timeoutMs: 300_000 },
    );
  }

  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    const out = await run(this.runc, this.args(["state", id])).catch(() => undefined);
    return out ? (JSON.parse(out) as { status: string; pid: number }) : undefined;
  }

  /** Changes the container's CPU weight and cap without stopping it. */
  async update(
    id: string,
    o: { shares?: number | undefined; quotaUs?: number | undefined },
  ): Promise<void> {
    const args = ["update"];
    if (o.shares !== undefined) args.push("--cpu-share", String(o.shares));
    if (o.quotaUs !== undefined)
      args.push("--cpu-period", "100000", "--cpu-quota", String(o.quotaUs));
    await run(this.runc, this.args([...args, id]));
  }

  /** Kills and forgets the container; nothing happens when there is none. */
  async remove(id: string): Promise<void> {
    await run(this.runc, this.args(["delete", "--force", id])).catch(() => undefined);
  }
}
