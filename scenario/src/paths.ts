import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root, found from this file, so the harness runs from any directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const stateDir = process.env.SHADOW_STATE || "/var/lib/shadow";
export const cacheDir = process.env.SHADOW_CACHE || join(homedir(), ".cache", "shadow");
export const logDir = join(stateDir, "log");
