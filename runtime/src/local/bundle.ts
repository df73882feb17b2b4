import { mkdir } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";
import { DEFAULT_IDENTITY_PATH, IDENTITY_FILE_ENV } from "@shadow/contract";
import type { WorkloadSpec } from "../types.ts";
import { writeJsonAtomic } from "./records.ts";

/** Where an instance finds its identity file (the contract's): a read-only bind of a host dir. */
export const IDENTITY_FILE = DEFAULT_IDENTITY_PATH;
export const IDENTITY_DIR = posix.dirname(IDENTITY_FILE);
/** Where the workload's entry file is mounted. */
export const ENTRY_DIR = "/opt/shadow";

export interface BundleInput {
  containerId: string;
  spec: WorkloadSpec;
  rootfs: string;
  /** Host directory holding identity.json; bound read-only at /run/shadow. */
  identityDir: string;
  netnsPath: string;
  /** CRIU config file runc hands to CRIU for this container (dump or restore options). */
  criuConfig: string;
  hostname: string;
  /** The instance's CPU weight among its node's instances (cpu.shares). */
  cpuShares: number;
}

/** The bundle's config.json: an OCI runtime spec for one instance. */
export function ociSpec(input: BundleInput): Record<string, unknown> {
  const { spec } = input;
  const entry = `${ENTRY_DIR}/${basename(spec.entry)}`;
  const env = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: "/root",
    [IDENTITY_FILE_ENV]: IDENTITY_FILE,
    SHADOW_HTTP_PORT: String(spec.httpPort),
    // Fewer threads, shorter freeze: CRIU seizes, dumps and restores the registers of every
    // thread while the source is frozen (~2-3 ms each here). Node starts 4 V8 platform
    // workers and, on first use, 4 libuv pool threads; one of each is plenty for a service on
    // two cores. Measured: 11 → 8 threads cut a 10 MB source's pause by ~25 ms. The spec's env
    // can set others.
    NODE_OPTIONS: "--v8-pool-size=1",
    UV_THREADPOOL_SIZE: "1",
    ...spec.env,
  };
  const caps = ["CAP_KILL", "CAP_NET_BIND_SERVICE"];
  return {
    ociVersion: "1.0.2-dev",
    process: {
      // No terminal: stdio are the log file runc is started with, which CRIU treats as
      // inherited descriptors and runc hands over again at restore.
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ["/usr/local/bin/node", entry, ...(spec.args ?? [])],
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      cwd: "/",
      capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps },
      // No rlimits: CRIU cannot set RLIMIT_NOFILE back as runc's default spec asks.
      noNewPrivileges: true,
    },
    root: { path: input.rootfs, readonly: true },
    hostname: input.hostname,
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
      },
      {
        destination: "/sys",
        type: "sysfs",
        source: "sysfs",
        options: ["nosuid", "noexec", "nodev", "ro"],
      },
      // The identity is a directory bind, not a file bind: a file rewritten by rename stays
      // visible through a directory mount, while a file mount would keep the old inode.
      {
        destination: IDENTITY_DIR,
        type: "bind",
        source: input.identityDir,
        options: ["rbind", "ro"],
      },
      // The entry's directory, not the file: the shared rootfs is read-only, so a mount point
      // must already exist there, and /opt/shadow does.
      {
        destination: ENTRY_DIR,
        type: "bind",
        source: dirname(spec.entry),
        options: ["bind", "ro"],
      },
    ],
    annotations: { "org.criu.config": input.criuConfig },
    linux: {
      cgroupsPath: `/shadow/${input.containerId}`,
      resources: {
        devices: [{ allow: false, access: "rwm" }],
        memory: { limit: spec.memoryBytes },
        cpu: { shares: input.cpuShares },
      },
      namespaces: [
        { type: "pid" },
        { type: "network", path: input.netnsPath },
        { type: "ipc" },
        { type: "uts" },
        { type: "mount" },
      ],
      // Files are masked with a bind of /dev/null; directories would be masked with a tmpfs
      // each, and CRIU archives every tmpfs (a `tar` per mount, ~5 ms each, inside the
      // source's pause), so the directories runc's default masks are read-only instead.
      // Likewise there is no /dev/shm tmpfs: Node does not use POSIX shared memory.
      maskedPaths: [
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
      ],
      readonlyPaths: [
        "/proc/acpi",
        "/proc/asound",
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/scsi",
        "/proc/sys",
        "/proc/sysrq-trigger",
        "/sys/firmware",
      ],
    },
  };
}

export async function writeBundle(dir: string, input: BundleInput): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, "config.json"), ociSpec(input));
}
