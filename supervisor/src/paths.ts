import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root, found from this file, so the services start from any directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The stack's state (deploy/local's SHADOW_STATE): Kafka's clients.env, logs, pid files. */
export const stateDir = process.env.SHADOW_STATE || "/var/lib/shadow";

/** Where each service's output goes by default, one file per service. */
export const defaultLogDir = join(stateDir, "log");
