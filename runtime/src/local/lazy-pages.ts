import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { getPriority } from "node:os";
import { join } from "node:path";
import type { InstanceInfo } from "../types.ts";
import type { Freezer } from "./freezer.ts";
import { processAlive } from "./process-alive.ts";

/**
 * CRIU's lazy-pages daemon for a post-copy restore: `runc restore --lazy-pages` starts the
 * tasks with their memory registered with userfaultfd instead of copied, and the daemon fills
 * pages on first touch (and the rest in the background), from the local images or, with
 * `pageServer`, from the page source on the dump's node. The restore returns sooner; the
 * daemon lives on until every page is in, then exits.
 *
 * Why the wrapper: if the daemon dies early (its page source went away), the kernel gives the
 * copy's untouched pages as zeros from then on, so the copy must not run on. The wrapper
 * records the daemon's exit status in the work dir (`memoryState` reads it, whichever process
 * asks) and kills the restored task at once when the daemon failed. It outlives the process
 * that started it, as the daemon does.
 */
export interface LazyPagesDaemon {
  done: Promise<number>;
  kill(): void;
}

/**
 * Above normal priority, as the page source: CRIU's daemon polls without sleeping while a
 * request is out (criu/uffd.c, epoll with a zero timeout once the restore finished), so it is
 * always runnable, and at normal priority each reply waited for its turn among the node's
 * busy processes: 30-48 MB/s of pages at 1 GB under load, one pagemap run per request.
 * SHADOW_LAZY_PAGES_SLEEP=on preloads lazy-pages-sleep.c, which makes that poll sleep instead.
 */
const DAEMON_NICE = -10;

const STATUS = "lazy-pages.status";
const WRAPPER_PID = "lazy-pages.pid";
/** runc's pid file of the restored task (runc.ts writes it there). */
const RESTORED_PID = "restored.pid";

const WRAPPER = `work="$1"; shift
echo $$ >"$work/${WRAPPER_PID}"
# Preloaded into CRIU alone, and only when it was built (see lazy-pages-sleep.c).
if [ -n "$SHADOW_LAZY_PAGES_PRELOAD" ] && [ -f "$SHADOW_LAZY_PAGES_PRELOAD" ]; then
  LD_PRELOAD="$SHADOW_LAZY_PAGES_PRELOAD" "$@"
else
  "$@"
fi
rc=$?
echo "$rc" >"$work/${STATUS}.tmp" && mv "$work/${STATUS}.tmp" "$work/${STATUS}"
if [ "$rc" != 0 ] && [ -s "$work/${RESTORED_PID}" ]; then kill -KILL "$(cat "$work/${RESTORED_PID}")"; fi
# A copy held while its pages arrive runs from here (a killed one is let go to die).
if [ -n "$SHADOW_HOLD_FREEZER" ]; then echo THAWED >"$SHADOW_HOLD_FREEZER"; fi
exit "$rc"`;

export async function startLazyPages(
  criu: string,
  imagesDir: string,
  workDir: string,
  options: {
    pageServer?: { host: string; port: number } | undefined;
    /** The restored copy's freezer, thawed when the daemon ends (see `holdWhilePagesArrive`). */
    hold?: Freezer | undefined;
    /** A library to preload into the daemon, when the file exists (lazy-pages-sleep.c). */
    preload?: string | undefined;
  } = {},
): Promise<LazyPagesDaemon> {
  const args = [
    "lazy-pages",
    "--images-dir",
    imagesDir,
    "--work-dir",
    workDir,
    "-o",
    "lazy-pages.log",
    "-v4",
  ];
  if (options.pageServer) {
    const { host, port } = options.pageServer;
    args.push("--page-server", "--address", host, "--port", String(port));
  }
  // nice(1) takes an adjustment: from this process's niceness to the daemon's.
  const adjust = String(DAEMON_NICE - getPriority());
  const wrapper = ["-c", WRAPPER, "lazy-pages", workDir, criu, ...args];
  const child = spawn("nice", ["-n", adjust, "bash", ...wrapper], {
    stdio: "ignore",
    detached: true,
    env: {
      ...process.env,
      SHADOW_HOLD_FREEZER: options.hold?.stateFile ?? "",
      SHADOW_LAZY_PAGES_PRELOAD: options.preload ?? "",
    },
  });
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
  // Killing the wrapper's group takes the daemon with it (detached: its own group).
  return { done, kill: () => killGroup(child.pid) };
}

/**
 * Holds a copy restored post-copy still until every page is in; the daemon's wrapper thaws it
 * when the daemon ends. Why: CRIU's daemon moves the pages nobody asked for one request at a
 * time, 64 KiB after each page fault and growing by 64 KiB per request up to 4 MiB only while
 * no fault comes (criu/uffd.c), so a copy replaying a backlog across its whole memory keeps
 * every request small, and each is a round trip on a busy node. Held, the copy asks for
 * nothing and its pages come a whole run of the pagemap (up to 4 MiB) per request: about
 * 1,500 requests for 1 GB, against 14,000-27,000 for a copy replaying meanwhile. The source
 * serves meanwhile, as in any catch-up; the copy replays from memory once thawed.
 */
export async function holdWhilePagesArrive(freezer: Freezer, workDir: string): Promise<void> {
  try {
    await freezer.freeze();
  } catch {
    // Not frozen in time (Freezer thawed it again): the copy runs on unheld, its pages slower.
    return;
  }
  // Ended before the freeze (few lazy pages): its wrapper's thaw came first, so thaw here.
  if (await stat(join(workDir, STATUS)).catch(() => undefined)) await freezer.thaw();
}

/** A post-copy copy's pages, from what its daemon left in the work dir. */
export async function memoryState(workDir: string): Promise<InstanceInfo["pages"]> {
  const status = await readFile(join(workDir, STATUS), "utf8").catch(() => undefined);
  if (status !== undefined) return status.trim() === "0" ? "complete" : "failed";
  const pid = Number(await readFile(join(workDir, WRAPPER_PID), "utf8").catch(() => "0"));
  // Gone without a word (killed with its process group, or the machine restarted).
  return pid > 0 && !processAlive(pid) ? "failed" : "arriving";
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
