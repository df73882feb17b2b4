import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { exec, execOk } from "./exec.ts";
import { removeTree } from "./remove-tree.ts";

/** Listings tried while containers are deleted under them (see `list`). */
const LIST_ATTEMPTS = 5;

/** runc's view of a container (`runc state`). */
export interface RuncState {
  id: string;
  pid: number;
  status: "creating" | "created" | "running" | "paused" | "stopped";
  bundle: string;
}

/**
 * Thin wrapper over the runc command line. Every call uses shadow's own runc root (so `runc
 * list` shows only shadow's containers) and the CRIU 4.2 wrapper (never the distribution's
 * criu, which does not work on this kernel).
 */
export class Runc {
  constructor(
    private readonly runc: string,
    private readonly root: string,
    private readonly criu: string,
  ) {}

  private args(rest: string[]): string[] {
    return ["--root", this.root, "--criu", this.criu, ...rest];
  }

  /** Starts a container detached; its stdout and stderr go to `log` (see withLogPipe). */
  async run(id: string, bundle: string, log: string): Promise<void> {
    const result = await exec(
      "bash",
      withLogPipe(log, this.runc, this.args(["run", "-d", "--bundle", bundle, id])),
    );
    if (result.code !== 0) throw new Error(`runc run ${id} exited ${result.code}: see ${log}`);
  }

  async state(id: string): Promise<RuncState | undefined> {
    const result = await exec(this.runc, this.args(["state", id]));
    return result.code === 0 ? (JSON.parse(result.stdout) as RuncState) : undefined;
  }

  async list(): Promise<RuncState[]> {
    // runc reads the root's directory, then each container's state in it: a container deleted
    // in between fails the whole listing ("stat <root>/<id>: no such file or directory").
    // Another listing a moment later no longer sees it.
    for (let attempt = 1; ; attempt++) {
      const result = await exec(this.runc, this.args(["list", "--format", "json"]));
      if (result.code === 0)
        return (JSON.parse(result.stdout || "null") as RuncState[] | null) ?? [];
      const vanished = /no such file or directory/.test(result.stderr);
      if (!vanished || attempt >= LIST_ATTEMPTS) {
        const detail = (result.stderr || result.stdout).trim();
        throw new Error(`runc list exited ${result.code}: ${detail}`);
      }
    }
  }

  async pause(id: string): Promise<void> {
    await execOk(this.runc, this.args(["pause", id]));
  }

  async resume(id: string): Promise<void> {
    await execOk(this.runc, this.args(["resume", id]));
  }

  /** Dumps the container with CRIU into `imagePath` (CRIU's log in `workPath`). */
  async checkpoint(
    id: string,
    options: {
      imagePath: string;
      workPath: string;
      leaveRunning: boolean;
      env?: Record<string, string>;
    },
  ): Promise<void> {
    const args = ["checkpoint", "--image-path", options.imagePath, "--work-path", options.workPath];
    // No --tcp-established: connections are left out of the dump (tcp-close in the config).
    args.push("--file-locks");
    if (options.leaveRunning) args.push("--leave-running");
    // runc starts CRIU with its own environment, and CRIU its action scripts: `env` reaches them.
    await execOk(this.runc, this.args([...args, id]), { env: { ...process.env, ...options.env } });
  }

  /**
   * Restores a container from CRIU images as `id` with the bundle's config (its netns, mounts).
   * runc hands its own stdio to the restored process in place of the dumped one's, so the
   * copy writes to its own log; runc's messages go to `<workPath>/runc.log`.
   */
  async restore(
    id: string,
    options: {
      bundle: string;
      imagePath: string;
      workPath: string;
      log: string;
      lazyPages?: boolean;
      /** Aborts the restore (runc, CRIU and all), e.g. when its lazy-pages daemon died. */
      signal?: AbortSignal;
    },
  ): Promise<RuncState> {
    const pidFile = `${options.workPath}/restored.pid`;
    const args = ["--log", `${options.workPath}/runc.log`, ...this.args(["restore", "-d"])];
    args.push("--bundle", options.bundle, "--image-path", options.imagePath, "--pid-file", pidFile);
    args.push("--work-path", options.workPath, "--tcp-established", "--file-locks");
    if (options.lazyPages) args.push("--lazy-pages");
    args.push(id);
    const result = await exec("bash", withLogPipe(options.log, this.runc, args), {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (options.signal?.aborted)
      throw new Error(`runc restore ${id} aborted: ${options.signal.reason}`);
    if (result.code !== 0) {
      const said = `${result.stderr}${result.stdout}`.trim().split("\n").slice(-4).join(" | ");
      throw new Error(`runc restore ${id} exited ${result.code}${said ? `: ${said}` : ""}`);
    }
    // What `runc state` would say now, without another runc process on the restore's path.
    const pid = Number((await readFile(pidFile, "utf8")).trim());
    return { id, pid, status: "running", bundle: options.bundle };
  }

  /** Sets the CFS quota per 100 ms period; -1 lifts it. */
  async cpuQuota(id: string, quotaMicros: number): Promise<void> {
    await execOk(
      this.runc,
      this.args(["update", "--cpu-period", "100000", "--cpu-quota", String(quotaMicros), id]),
    );
  }

  /** Sets the cgroup's CPU weight (cpu.shares). */
  async cpuShares(id: string, shares: number): Promise<void> {
    await execOk(this.runc, this.args(["update", "--cpu-share", String(shares), id]));
  }

  async kill(id: string, signal = "KILL"): Promise<void> {
    await exec(this.runc, this.args(["kill", id, signal]));
  }

  /**
   * Removes the container whatever its state; quiet when it does not exist. A restore killed
   * midway (its lazy-pages daemon died) leaves runc's state directory without a state.json,
   * which runc no longer knows, with the root file system still bound inside it read-only:
   * that is detached and removed here too.
   */
  async deleteForce(id: string): Promise<void> {
    await exec(this.runc, this.args(["delete", "--force", id]));
    const dir = join(this.root, id);
    if (
      (await stat(dir).catch(() => undefined)) &&
      !(await stat(join(dir, "state.json")).catch(() => undefined))
    ) {
      await removeTree(dir);
    }
  }
}

/**
 * bash arguments that run a command with stdout and stderr into a pipe drained by a `cat`
 * appending to `log`. Why a pipe and not the log file itself: CRIU cannot dump a descriptor of
 * a file outside the container's mounts, while a pipe whose other end lives outside the
 * container is an external pipe that runc hands over again at restore (like a containerd
 * shim's pipes). The `cat` outlives the command and ends when the container closes the pipe.
 */
export function withLogPipe(log: string, command: string, args: string[]): string[] {
  const script = 'log="$1"; shift; exec "$@" > >(exec setsid cat >> "$log" 2>/dev/null) 2>&1';
  return ["-c", script, "bash", log, command, ...args];
}
