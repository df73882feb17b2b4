import { open, readFile, rm } from "node:fs/promises";

/**
 * A cross-process lock on a file, for the few steps that must not interleave between two
 * processes using the same state directory (claiming capacity and an address). The file holds
 * the owner's pid; a lock whose owner is gone is taken over.
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (await ownerGone(path)) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

async function ownerGone(path: string): Promise<boolean> {
  const pid = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
  // An empty file is a lock being written right now: not gone.
  if (!Number.isFinite(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
