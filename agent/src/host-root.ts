import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { copyFile, cp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import { z } from "zod";

/**
 * The node agent in a pod (the DaemonSet) runs in its node's mount namespace, as the agent
 * started on the node itself does. It drives the node's own runc, CRIU and containerd, whose
 * binaries, libraries, sockets and state are the node's, and the paths it hands them (bundles,
 * images, the kubelet's archives, pods' volumes) must mean the same to it and to them; CRIU also
 * enters mount namespaces itself, which a chroot would not survive. The pod mounts the node's
 * root at SHADOW_AGENT_HOST_ROOT and shares the node's PIDs (hostPID): the agent's program (Node
 * and its bundle, from the image) is copied into the node's root once per version, then run with
 * nsenter in the mount namespace of the pod's parent process, the container runtime's shim,
 * which runs in the node's.
 *
 *   SHADOW_AGENT_HOST_ROOT      where the node's / is mounted (unset: the agent is on the node)
 *   SHADOW_AGENT_HOST_MOUNT_NS  the node's mount namespace (default /proc/<parent pid>/ns/mnt)
 *   SHADOW_AGENT_INSTALL_DIR    where in the node's root the program is copied
 *                               (default /var/lib/shadow/node-agent)
 *   SHADOW_AGENT_ENV_FILE       a file in the node's root with the node's own settings (its
 *                               containerd socket, kubelet checkpoint directory, tools), read
 *                               by Node's --env-file; the pod's own variables win over it
 */
const envSchema = z.object({
  SHADOW_AGENT_HOST_ROOT: z
    .string()
    .refine(isAbsolute, "SHADOW_AGENT_HOST_ROOT: an absolute path (where the node's / is mounted)"),
  SHADOW_AGENT_HOST_MOUNT_NS: z
    .string()
    .refine(isAbsolute, "SHADOW_AGENT_HOST_MOUNT_NS: an absolute path (a /proc/<pid>/ns/mnt)")
    .optional(),
  SHADOW_AGENT_INSTALL_DIR: z
    .string()
    .refine(isAbsolute, "SHADOW_AGENT_INSTALL_DIR: an absolute path in the node's root")
    .default("/var/lib/shadow/node-agent"),
  SHADOW_AGENT_ENV_FILE: z
    .string()
    .refine(isAbsolute, "SHADOW_AGENT_ENV_FILE: an absolute path in the node's root")
    .optional(),
});

export interface HostRootSettings {
  hostRoot: string;
  mountNamespace: string;
  installDir: string;
  envFile?: string;
}

/** The settings of an agent in a pod, or undefined for an agent started on its node. */
export function hostRootSettings(
  env: NodeJS.ProcessEnv = process.env,
): HostRootSettings | undefined {
  if (!env.SHADOW_AGENT_HOST_ROOT) return undefined;
  const parsed = envSchema.safeParse({
    ...env,
    SHADOW_AGENT_ENV_FILE: env.SHADOW_AGENT_ENV_FILE || undefined,
    SHADOW_AGENT_HOST_MOUNT_NS: env.SHADOW_AGENT_HOST_MOUNT_NS || undefined,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => i.message);
    throw new Error(`invalid node agent configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    hostRoot: e.SHADOW_AGENT_HOST_ROOT,
    mountNamespace: e.SHADOW_AGENT_HOST_MOUNT_NS ?? `/proc/${process.ppid}/ns/mnt`,
    installDir: e.SHADOW_AGENT_INSTALL_DIR,
    ...(e.SHADOW_AGENT_ENV_FILE ? { envFile: e.SHADOW_AGENT_ENV_FILE } : {}),
  };
}

/** The program as the node sees it once installed: paths in the node's root. */
export interface InstalledProgram {
  node: string;
  entry: string;
}

/**
 * Copies Node and the program's directory into the node's root, under a directory named by
 * their digest: a pod of the same version finds it there and copies nothing. Written aside and
 * renamed into place, never over a whole copy: agents starting side by side (nodes sharing a
 * root file system, as on the test cluster) each keep a copy the other did not remove. Versions
 * beyond the two newest (an update, and the one it replaces while it rolls) are removed.
 */
export async function installProgram(
  settings: HostRootSettings,
  program: { node: string; entry: string },
): Promise<InstalledProgram> {
  const programDir = dirname(program.entry);
  const version = (await digestOf([program.node, ...(await filesUnder(programDir))])).slice(0, 16);
  const installRoot = join(settings.hostRoot, settings.installDir);
  const target = join(installRoot, version);
  if (!existsSync(join(target, ".complete"))) {
    const staging = join(installRoot, `.partial-${version}-${randomUUID()}`);
    await rm(staging, { recursive: true, force: true });
    await cp(programDir, staging, { recursive: true });
    await copyFile(program.node, join(staging, "node"));
    await writeFile(join(staging, ".complete"), `${version}\n`);
    // A copy cut short by a killed pod has no .complete: it goes; a whole one stays.
    if (existsSync(target) && !existsSync(join(target, ".complete"))) {
      await rm(target, { recursive: true, force: true });
    }
    await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
      await rm(staging, { recursive: true, force: true });
      // Another agent put the same version in place first.
      if (!existsSync(join(target, ".complete"))) throw error;
    });
  }
  await keepNewest(installRoot, version, 2);
  const inNode = join(settings.installDir, version);
  return { node: join(inNode, "node"), entry: join(inNode, basename(program.entry)) };
}

/** Removes all but the `keep` newest installed versions; `current` always stays. */
async function keepNewest(installRoot: string, current: string, keep: number): Promise<void> {
  const versions = (await readdir(installRoot)).filter((name) => !name.startsWith("."));
  const dated = await Promise.all(
    versions.map(async (name) => ({
      name,
      at: (await stat(join(installRoot, name)).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  );
  const newest = dated
    .filter((v) => v.name !== current)
    .sort((a, b) => b.at - a.at)
    .slice(0, keep - 1)
    .map((v) => v.name);
  for (const { name } of dated) {
    if (name !== current && !newest.includes(name)) {
      await rm(join(installRoot, name), { recursive: true, force: true });
    }
  }
}

/** nsenter's arguments: the node's mount namespace, then Node with the node's settings. */
export function nsenterArgs(settings: HostRootSettings, installed: InstalledProgram): string[] {
  return [
    `--mount=${settings.mountNamespace}`,
    "--",
    installed.node,
    ...(settings.envFile ? [`--env-file=${settings.envFile}`] : []),
    installed.entry,
  ];
}

/**
 * Installs the program and runs it in the node's mount namespace until it exits, passing on the
 * signals the kubelet sends; resolves with its exit code.
 */
export async function runInHostRoot(
  settings: HostRootSettings,
  program: { node: string; entry: string },
  // Where Debian has it, and the node agent's image too (deploy/images' catalog).
  nsenter = "/usr/bin/nsenter",
): Promise<number> {
  if (settings.envFile && !existsSync(join(settings.hostRoot, settings.envFile))) {
    throw new Error(
      `invalid node agent configuration: SHADOW_AGENT_ENV_FILE ${settings.envFile} is not in the node's root`,
    );
  }
  const installed = await installProgram(settings, program);
  const child = spawn(nsenter, nsenterArgs(settings, installed), {
    stdio: "inherit",
    // The program inside is the agent itself, not another launcher.
    env: { ...process.env, SHADOW_AGENT_HOST_ROOT: "" },
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on("SIGTERM", forward("SIGTERM"));
  process.on("SIGINT", forward("SIGINT"));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)),
    );
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

async function digestOf(files: string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(`${file}\0`);
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}
