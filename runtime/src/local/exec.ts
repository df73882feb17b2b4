import { spawn } from "node:child_process";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Kill the command after this long (default 5 minutes). */
  timeoutMs?: number;
  /** File descriptors for the child's stdin/stdout/stderr (e.g. a log file for a container). */
  stdio?: [number | "ignore", number | "pipe", number | "pipe"];
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed (ignored when `stdio` is given). */
  input?: string;
  /**
   * Kills the command and everything it started (it runs in a process group of its own) when
   * aborted: a CRIU that lost its lazy-pages daemon mid-restore waits forever.
   */
  signal?: AbortSignal;
}

/** Runs a command without a shell and resolves with its exit code and output (never rejects on exit code). */
export function exec(
  command: string,
  args: string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: options.stdio ?? [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      env: options.env ?? process.env,
      detached: options.signal !== undefined,
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    if (options.signal?.aborted) killGroup();
    options.signal?.addEventListener("abort", killGroup, { once: true });
    if (options.input !== undefined && !options.stdio) child.stdin?.end(options.input);
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(
      () => (options.signal ? killGroup() : child.kill("SIGKILL")),
      options.timeoutMs ?? 300_000,
    );
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", killGroup);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Like exec, but throws an Error carrying stderr when the command fails. */
export async function execOk(
  command: string,
  args: string[],
  options: ExecOptions = {},
): Promise<string> {
  const result = await exec(command, args, options);
  if (result.code !== 0) {
    const detail = (result.stderr || result.stdout).trim().split("\n").slice(-5).join(" | ");
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}: ${detail}`);
  }
  return result.stdout;
}
