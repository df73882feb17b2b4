import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { setPriority } from "node:os";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";

/** A page source running as its own process (page-source-main.ts), serving one dump. */
export interface PageSourceProcess {
  host: string;
  port: number;
  pid: number;
  /** Settles with the process's exit code: 0 once the daemon had every page. */
  done: Promise<number>;
  kill(): void;
}

/**
 * Above normal priority: the restored copy waits on this process at every first touch of a
 * page, and it sleeps between requests, so what it takes is its wake-up latency, which on a
 * node busy with the workload is the bulk of a request's round trip at normal priority.
 */
const PAGE_SOURCE_NICE = -10;

const MAIN = fileURLToPath(new URL("./page-source-main.ts", import.meta.url));

interface Idle {
  child: ChildProcess;
  lines: Interface;
  done: Promise<number>;
}

/**
 * Page source processes, one kept idle ahead of need. Why a process: the restored copy waits
 * on it at every first touch of a page, so it runs above normal priority whatever the niceness
 * of the service that starts it (image-svc builds images at a low one), and it lives on if
 * that service restarts. Why one ahead: starting Node with its TypeScript loader takes from a
 * few hundred milliseconds to seconds on a busy machine, which would land in the image phase.
 */
export class PageSourcePool {
  private spare: Idle | undefined;

  /** Serves the CRIU images in `imagesDir` on `host` (an ephemeral port). */
  async serve(
    imagesDir: string,
    options: { host: string; idleMs: number; startMs?: number },
  ): Promise<PageSourceProcess> {
    const idle = this.spare ?? startIdle();
    this.spare = startIdle();
    const { child, lines, done } = idle;
    child.stdin?.end(`${JSON.stringify({ imagesDir, ...options })}\n`);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("the page source did not start in time")),
        options.startMs ?? 30_000,
      );
      lines.once("line", (line) => {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      });
      void done.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the page source exited (${code}) before it listened`));
      });
    }).catch((error: unknown) => {
      child.kill("SIGKILL");
      throw error;
    });
    lines.close();
    return {
      host: options.host,
      port,
      pid: child.pid ?? 0,
      done,
      kill: () => child.kill("SIGKILL"),
    };
  }

  /** Has an idle process ready. */
  warm(): void {
    this.spare ??= startIdle();
  }

  /** Lets the idle process go (it exits when its stdin closes). */
  close(): void {
    this.spare?.child.stdin?.end();
    this.spare = undefined;
  }
}

function startIdle(): Idle {
  // The runtime's TypeScript runs through tsx, in services and tests alike.
  const tsx = createRequire(import.meta.url).resolve("tsx/esm");
  const child = spawn(process.execPath, ["--import", tsx, MAIN], {
    stdio: ["pipe", "pipe", "inherit"],
    detached: true,
  });
  child.unref();
  // Pipes hold the parent's event loop open: an idle page source must not keep it alive.
  for (const s of [child.stdin, child.stdout]) (s as unknown as { unref?: () => void })?.unref?.();
  const done = new Promise<number>((resolve) => {
    child.on("exit", (code) => resolve(code ?? 1));
    child.on("error", () => resolve(1));
  });
  try {
    if (child.pid) setPriority(child.pid, PAGE_SOURCE_NICE);
  } catch {
    // not allowed to raise it (not root): it keeps the parent's niceness
  }
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return { child, lines, done };
}
