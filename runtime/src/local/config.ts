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
   * Where CRIU writes dumps, and streamed dumps arrive: a tmpfs by default (see
   * `defaultDumpDir`). `state` puts them in each node's state directory on disk.
   */
  dumpDir: z.string().min(1).optional(),
  /**
   * How the source is frozen for a dump (see criu-config.ts for why it matters):
   * - `hook` (default): CRIU's pre-dump action script freezes the cgroup with a tight poll
   *   once CRIU has started, and thaws it at network-unlock: CRIU's start-up stays outside the
   *   pause and CRIU never falls into its 100 ms freezer poll;
   * - `criu`: CRIU freezes (fast when the cgroup freezes at once, +100 ms when it does not);
   * - `freezer`: shadow freezes the cgroup before starting runc (CRIU's start-up is inside);
   * - `runc`: `runc pause` / `runc resume` around the dump (two more process start-ups inside).
   */
  freeze: z.enum(["hook", "criu", "freezer", "runc"]),
  /**
   * Restore post-copy: the copy starts before its memory is in, and CRIU's lazy-pages daemon
   * fills pages on first touch (userfaultfd), from the page source on the dump's node (a
   * streamed dump leaves its lazy pages there) or from the delivered images.
   * - `auto` (default): for streamed dumps, where CRIU says userfaultfd works here;
   * - `on`: every restore, whatever the transfer (still only where userfaultfd works);
   * - `off`: never; a streamed dump then carries every page.
   */
  lazyPages: z.enum(["auto", "on", "off"]),
  /**
   * A copy restored post-copy is held still (frozen) until every page is in, then replays
   * from memory (see lazy-pages.ts `holdWhilePagesArrive`): `on` (default), since its faults
   * would keep CRIU's requests small and the pages slow; `off`: it replays while its pages
   * arrive, each first touch a request to the page source.
   */
  postCopyHold: z.enum(["on", "off"]),
  /**
   * A library preloaded into CRIU's lazy-pages daemon so that it sleeps while it waits for
   * pages instead of spinning (runtime/native/lazy-pages-sleep.c, built by
   * deploy/local/criu.sh); used when the file exists. `off` (the default): the daemon spins, as
   * CRIU has it; `on` (SHADOW_LAZY_PAGES_SLEEP=on): the library built in the cache, or a path.
   * Not the default: in one of four 1 GB runs with it the copy answered no status poll after
   * every page arrived, and rolled back at its deadline, cause not yet found
   * (docs/benchmark/README.md).
   */
  lazyPagesSleep: z.union([z.literal("off"), z.string().startsWith("/")]),
  /**
   * How dumps reach the target: streamed (encrypted, verified as it arrives; the OCI image is
   * built afterwards, off the critical path), or as an OCI image through the local registry,
   * or copied node to node.
   */
  imageTransfer: z.enum(["stream", "registry", "node-to-node"]),
  /** A fault put on the dump stream's wire, for tests (see stream/faulty-wire.ts). */
  streamFault: z
    .string()
    .regex(/^(cut|flip):\d+$/)
    .optional(),
  /** Instance networks kept ready for the next placement (see spare-net.ts); 0: none. */
  spareNets: z.coerce.number().int().min(0).max(8),
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
    dumpDir:
      env.SHADOW_DUMP_DIR === "state"
        ? undefined
        : env.SHADOW_DUMP_DIR || defaultDumpDir(env.SHADOW_STATE || "/var/lib/shadow"),
    freeze: env.SHADOW_FREEZE || "hook",
    imageTransfer: env.SHADOW_IMAGE_TRANSFER || "registry",
    lazyPages:
      ({ "1": "on", "0": "off" } as Record<string, string>)[env.SHADOW_LAZY_PAGES ?? ""] ??
      (env.SHADOW_LAZY_PAGES || "auto"),
    postCopyHold: env.SHADOW_POST_COPY_HOLD || "on",
    lazyPagesSleep:
      env.SHADOW_LAZY_PAGES_SLEEP === "on"
        ? join(cacheDir, "criu", "lazy-pages-sleep.so")
        : env.SHADOW_LAZY_PAGES_SLEEP || "off",
    spareNets: env.SHADOW_SPARE_NETS ?? 1,
    streamFault: env.SHADOW_STREAM_FAULT || undefined,
    ...overrides,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid local runtime config: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/**
 * Dumps go to memory: the source is frozen while CRIU copies its pages, and on a disk file
 * system that copy runs at memory speed only until the kernel's dirty-page limit, after which
 * the writer waits for the disk. An identity swap's second dump followed gigabytes of image
 * writes and paid that wait: four times the first dump's pause at 512 MB. One directory per
 * state directory, so two stacks on one machine never share dumps.
 */
export function defaultDumpDir(stateDir: string): string {
  return join("/dev/shm", `shadow${stateDir.replace(/[^A-Za-z0-9]+/g, "-")}`);
}
