import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

/**
 * Configuration of the local adapter, read from the environment once at start-up. Paths
 * default to what deploy/local installs: the CRIU wrapper and rootfs under the cache, state
 * (nodes, instances, checkpoints, runc's own root) under the state directory.
 */
export const LocalRuntimeConfig = z.object({
  stateDir: z.string().min(1),
  cacheDir: z.string().min(1),
  /** The `criu` wrapper that runs CRIU 4.2 from its own root (deploy/local/criu.sh). */
  criu: z.string().min(1),
  runc: z.string().min(1),
  /** Shared read-only root file system of every instance (deploy/local/rootfs.sh). */
  rootfs: z.string().min(1),
  bridge: z.string().min(1),
  /**
   * Where CRIU writes dumps. A tmpfs keeps the source's freeze short (pages are copied to
   * memory, not to disk); the default is the node's state directory.
   */
  dumpDir: z.string().min(1).optional(),
  /**
   * How the source is frozen for a dump. `freezer`: shadow freezes the container's cgroup
   * itself (a write and a tight poll) before starting CRIU, which then finds it frozen and
   * skips its own 100 ms freezer poll. `runc`: the same through `runc pause`/`runc resume`
   * (two more process start-ups inside the freeze). `criu`: CRIU freezes (polls in 100 ms steps).
   */
  freeze: z.enum(["freezer", "runc", "criu"]),
});
export type LocalRuntimeConfig = z.infer<typeof LocalRuntimeConfig>;

/** Reads the config from the environment; throws with every problem listed. */
export function loadLocalRuntimeConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<LocalRuntimeConfig> = {},
): LocalRuntimeConfig {
  const cacheDir = env.SHADOW_CACHE || join(homedir(), ".cache", "shadow");
  const parsed = LocalRuntimeConfig.safeParse({
    stateDir: env.SHADOW_STATE || "/var/lib/shadow",
    cacheDir,
    criu: env.SHADOW_CRIU || join(cacheDir, "bin", "criu"),
    runc: env.SHADOW_RUNC || "runc",
    rootfs: env.SHADOW_ROOTFS || join(cacheDir, "rootfs", "trixie"),
    bridge: env.SHADOW_BRIDGE || "shadow0",
    dumpDir: env.SHADOW_DUMP_DIR || undefined,
    freeze: env.SHADOW_FREEZE || "freezer",
    ...overrides,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid local runtime config: ${problems.join("; ")}`);
  }
  return parsed.data;
}
