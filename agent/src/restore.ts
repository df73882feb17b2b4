import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import type { RestoreResponse, restoreRequest } from "@shadow/runtime/kubernetes/agent-protocol";
import type { z } from "zod";
import { RESTORED_CRIU_OPTIONS, RESTORING_CRIU_OPTIONS } from "./criu-options.ts";
import type { AgentDeps } from "./deps.ts";
import { criuComplaint } from "./dump-log.ts";
import { AgentError } from "./errors.ts";
import { claimImage, preflight } from "./images.ts";
import { containerIdFor } from "./layout.ts";
import { type ContainerRecord, findRecord, writeRecord } from "./records.ts";
import { restoreSpec } from "./restore-spec.ts";
import { applyRootfsDiff, checkRootfsDiff, UnsafeRootfsDiffError } from "./rootfs-diff.ts";

const IDENTITY_FILE = "identity.json";

/**
 * Restores the image's process into a pod's sandbox on this node: the pod (made by the kubelet)
 * gives the network, IPC and UTS namespaces, the volumes and the cgroup; the process gets a
 * writable snapshot of its image with the files it had changed, and its own identity file.
 * Everything is checked before anything is made (the target, the image's digests, the root file
 * system diff, the pod's mounts); whatever fails after that is removed again.
 */
export async function restoreIntoPod(
  deps: AgentDeps,
  req: z.infer<typeof restoreRequest>,
): Promise<RestoreResponse> {
  const started = performance.now();
  const existing = await findRecord(deps.layout, req.pod.uid);
  if (existing) return { pid: existing.pid, restoreMs: 0, breakdown: zero() };
  const { reasons, source } = await preflight(deps, req.migrationId, req.image);
  if (reasons.length > 0) {
    throw new AgentError(
      "PREFLIGHT_REFUSED",
      409,
      `target refused: ${reasons.join("; ")}`,
      false,
      reasons,
    );
  }
  const preflightMs = performance.now() - started;

  const id = containerIdFor(req.pod.uid);
  const dir = deps.layout.container(id);
  const image = join(dir, "image");
  let snapshot = false;
  try {
    await mkdir(dir, { recursive: true });
    await claimImage(deps, req.migrationId, req.image, image);
    const pullMs = performance.now() - started - preflightMs;
    const diff = join(image, "rootfs-diff.tar");
    const hasDiff = await readFile(diff).then(
      () => true,
      () => false,
    );
    if (hasDiff) await checkRootfsDiff(diff);
    const dumped = JSON.parse(await readFile(join(image, "spec.dump"), "utf8"));
    const config = JSON.parse(await readFile(join(image, "config.dump"), "utf8").catch(() => "{}"));
    const rootfsImage: string =
      config.rootfsImageName || String(source?.template.container.image ?? "");
    if (!rootfsImage)
      throw new AgentError(
        "IMAGE_UNKNOWN_ROOTFS",
        422,
        "the checkpoint names no root file system image",
      );

    const sandbox = await deps.cri.sandbox(req.pod.uid);
    if (!sandbox)
      throw new AgentError(
        "NO_SANDBOX",
        409,
        `pod ${req.pod.name} has no ready sandbox on ${deps.config.node}`,
        true,
      );
    const container = await deps.cri.container(sandbox.id, req.container);
    if (!container)
      throw new AgentError(
        "NO_CONTAINER",
        409,
        `pod ${req.pod.name} has no running container ${req.container}`,
        true,
      );

    const identityDir = join(dir, "identity");
    await writeIdentity(identityDir, req.identity);
    const criuConfig = join(dir, "criu.conf");
    await writeFile(criuConfig, RESTORING_CRIU_OPTIONS);
    const rootfs = join(dir, "rootfs");
    await deps.snapshots.mount(rootfsImage, rootfs);
    snapshot = true;
    if (hasDiff) await applyRootfsDiff(diff, rootfs);
    const bundle = join(dir, "bundle");
    await mkdir(bundle, { recursive: true });
    const spec = restoreSpec(dumped, {
      rootfs,
      sandboxPid: sandbox.pid,
      cgroupParent: sandbox.cgroupParent,
      containerId: id,
      podMounts: container.mounts,
      identityDir,
      identityMount: identityMountOf(dumped),
      criuConfig,
    });
    await writeFile(join(bundle, "config.json"), JSON.stringify(spec));
    const workPath = join(dir, "work");
    await mkdir(workPath, { recursive: true });
    const placeMs = performance.now() - started - preflightMs - pullMs;
    try {
      await deps.runc.restore(id, {
        bundle,
        imagePath: join(image, "checkpoint"),
        workPath,
        pidFile: join(dir, "pid"),
        log: join(dir, "log"),
      });
    } catch (error) {
      const detail = await criuComplaint(join(workPath, "restore.log"));
      throw new AgentError("RESTORE_FAILED", 503, `${(error as Error).message}${detail}`, true);
    }
    const criuMs = performance.now() - started - preflightMs - pullMs - placeMs;
    // Up: the next dump of this process takes the dump's options (same file, by its annotation).
    await writeFile(criuConfig, RESTORED_CRIU_OPTIONS);
    const pid = Number((await readFile(join(dir, "pid"), "utf8")).trim());
    const record: ContainerRecord = {
      id,
      pod: req.pod,
      sandboxId: sandbox.id,
      migrationId: req.migrationId,
      pid,
      rootfsImage,
      source: {
        ...(source ?? fallbackSource(req)),
        identity: req.identity,
        pod: { name: req.pod.name, namespace: req.pod.namespace },
      },
    };
    await writeRecord(deps.layout, record);
    // The unpacked image holds the process's memory: gone once the process is back.
    await rm(image, { recursive: true, force: true });
    deps.log.info(
      { migrationId: req.migrationId, pod: req.pod.name, pid },
      "restored into the pod",
    );
    return {
      pid,
      restoreMs: performance.now() - started,
      breakdown: { preflightMs, pullMs, placeMs, criuMs },
    };
  } catch (error) {
    await deps.runc.remove(id);
    if (snapshot) await deps.snapshots.unmount(join(dir, "rootfs")).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    if (error instanceof UnsafeRootfsDiffError)
      throw new AgentError(error.code, 422, error.message);
    throw error;
  }
}

/** Rewrites a restored copy's identity file: a new file renamed over the old one. */
export async function writeIdentity(dir: string, identity: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${IDENTITY_FILE}.tmp`);
  await writeFile(tmp, `${JSON.stringify(identity)}\n`);
  await rename(tmp, join(dir, IDENTITY_FILE));
}

/** The directory the process reads its identity file from, as its environment names it. */
function identityMountOf(spec: { process?: { env?: string[] } }): string {
  for (const entry of spec.process?.env ?? []) {
    const [name, value] = [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)];
    if ((name === "SHADOW_IDENTITY_FILE" || name === "SHADOW_IDENTITY_PATH") && value)
      return dirname(value);
  }
  return "/run/shadow";
}

function fallbackSource(req: z.infer<typeof restoreRequest>): ContainerRecord["source"] {
  return {
    identity: req.identity,
    pod: { name: req.pod.name, namespace: req.pod.namespace },
    container: req.container,
    template: { container: {}, volumes: [], labels: {} },
  };
}

function zero() {
  return { preflightMs: 0, pullMs: 0, placeMs: 0, criuMs: 0 };
}
