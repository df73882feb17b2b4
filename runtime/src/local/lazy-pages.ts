import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * CRIU's lazy-pages daemon for a post-copy restore from local images: `runc restore
 * --lazy-pages` starts the tasks with their memory registered with userfaultfd instead of
 * copied, and the daemon fills pages from the images on first touch (and the rest in the
 * background). The restore returns sooner; the daemon lives on until every page is in, then
 * exits, and only then may the images be removed (`done`).
 */
export interface LazyPagesDaemon {
  done: Promise<number>;
  kill(): void;
}

export async function startLazyPages(
  criu: string,
  imagesDir: string,
  workDir: string,
): Promise<LazyPagesDaemon> {
  const child = spawn(
    criu,
    ["lazy-pages", "--images-dir", imagesDir, "--work-dir", workDir, "-o", "lazy-pages.log", "-v4"],
    {
      stdio: "ignore",
      detached: true,
    },
  );
  child.unref();
  const done = new Promise<number>((resolve) => {
    child.on("exit", (code) => resolve(code ?? 1));
    child.on("error", () => resolve(1));
  });
  // CRIU's restore connects to the daemon's socket in the shared work dir: wait for it.
  const socket = join(workDir, "lazy-pages.socket");
  const deadline = Date.now() + 5_000;
  let exited = false;
  void done.then(() => {
    exited = true;
  });
  while (!(await stat(socket).catch(() => undefined))) {
    if (exited)
      throw new Error(`criu lazy-pages exited before it was ready (see ${workDir}/lazy-pages.log)`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("criu lazy-pages did not open its socket within 5 s");
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { done, kill: () => child.kill("SIGKILL") };
}
