import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { copyFile, cp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { basename, dirname, isAbsolute, join } from "node:path";
import { z } from "zod";

/**
 * The node agent in a pod (the DaemonSet) runs in its node's root file system, as the agent
 * started on the node itself does. It drives the node's own runc, CRIU and containerd, whose
 * binaries, libraries, sockets and state are the node's, and the paths it hands them (bundles,
 * images, the kubelet's archives) must mean the same to it and to them. The pod mounts the
 * node's root at SHADOW_AGENT_HOST_ROOT (hostPath /, with hostPID so /proc is the node's too);
 * the agent's program (Node and its bundle, from the image) is copied into that root once per
 * version and run there with chroot, as `kubectl debug node` runs its shell.
 *
 *   SHADOW_AGENT_HOST_ROOT      where the node's root is mounted (unset: the agent is on the node)
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
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => i.message);
    throw new Error(`invalid node agent configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    hostRoot: e.SHADOW_AGENT_HOST_ROOT,
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
 * their digest: a pod of the same version finds it there and copies nothing; other versions
 * (an agent updated since) are removed. Written aside and renamed, so a copy cut short by a
 * killed pod is never taken for a whole one.
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
    const staging = `${target}.partial-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await cp(programDir, staging, { recursive: true });
    await copyFile(program.node, join(staging, "node"));
    await writeFile(join(staging, ".complete"), `${version}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  }
  for (const name of await readdir(installRoot)) {
    if (name !== version) await rm(join(installRoot, name), { recursive: true, force: true });
  }
  const inNode = join(settings.installDir, version);
  return { node: join(inNode, "node"), entry: join(inNode, basename(program.entry)) };
}

/** chroot's arguments: the node's root, then Node with the node's settings and the entry. */
export function chrootArgs(settings: HostRootSettings, installed: InstalledProgram): string[] {
  return [
    settings.hostRoot,
    installed.node,
    ...(settings.envFile ? [`--env-file=${settings.envFile}`] : []),
    installed.entry,
  ];
}

/**
 * Installs the program and runs it in the node's root until it exits, passing on the signals
 * the kubelet sends; resolves with its exit code.
 */
export async function runInHostRoot(
  settings: HostRootSettings,
  program: { node: string; entry: string },
  // Where Debian has it, and the node agent's image too (deploy/images' catalog).
  chroot = "/usr/sbin/chroot",
): Promise<number> {
  if (settings.envFile && !existsSync(join(settings.hostRoot, settings.envFile))) {
    throw new Error(
      `invalid node agent configuration: SHADOW_AGENT_ENV_FILE ${settings.envFile} is not in the node's root`,
    );
  }
  const installed = await installProgram(settings, program);
  const child = spawn(chroot, chrootArgs(settings, installed), {
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
