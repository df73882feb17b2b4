import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { repoRoot } from "./repo-root.ts";

/** `shadow serve` as a user runs it, in the foreground of a child process. */
export interface ServeRun {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first match in its output, waiting for it; fails if it exits first. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function startServe(env: Record<string, string>): ServeRun {
  const child = spawn(resolve(repoRoot, "cli/bin/shadow"), ["serve"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((done) => child.once("close", (code) => done(code)));
  let closed = false;
  void exited.then(() => {
    closed = true;
  });
  return {
    child,
    exited,
    output: () => output,
    async line(pattern, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = output.match(pattern);
        if (match) return match;
        if (closed) throw new Error(`shadow serve exited before ${pattern}:\n${output}`);
        if (Date.now() > deadline)
          throw new Error(`no ${pattern} in shadow serve's output:\n${output}`);
        await sleep(100);
      }
    },
    async stop(signal = "SIGTERM") {
      if (!closed) child.kill(signal);
      return exited;
    },
  };
}

/** A service's ready line in serve's output: its pid and health URL. */
export async function readyLine(
  serve: ServeRun,
  service: string,
  restarts = 0,
): Promise<{ pid: number; health: string }> {
  const [, pid, health] = await serve.line(
    new RegExp(`  ${service}: service ready \\(pid=(\\d+) health=(\\S+) .*restarts=${restarts}\\)`),
  );
  return { pid: Number(pid), health: health as string };
}
