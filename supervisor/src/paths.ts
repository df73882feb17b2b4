import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root, found from this file, so the services start from any directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Where each service's output goes by default, one file per service. */
export const defaultLogDir = join(process.env.SHADOW_STATE || "/var/lib/shadow", "log");
