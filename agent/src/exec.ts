import { spawn } from "node:child_process";

export interface RunOptions {
  timeoutMs?: number;
  /** The child's stdout and stderr (a log file's descriptor); captured when absent. */
  output?: number;
}

/**
 * Runs a command without a shell; resolves with its output, throws with the last lines of its
 * stderr when it fails. Every tool the agent drives (crictl, ctr, runc) is a short-lived process.
 */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const out = options.output;
    const child = spawn(command, args, {
      stdio: ["ignore", out ?? "pipe", out ?? "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const detail = meaningful(stderr || stdout);
      reject(
        new Error(`${command} ${args[0] ?? ""} failed (${signal ?? `exit ${code}`}): ${detail}`),
      );
    });
  });
}

/** The last lines of a tool's complaint, without the cgroup v1 deprecation notice ctr prints. */
function meaningful(text: string): string {
  return text
    .split("\n")
    .filter((l) => l.trim() && !l.includes("DEPRECATION"))
    .slice(-4)
    .join(" | ");
}
