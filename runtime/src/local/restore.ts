import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { RestoreError, RuntimeError } from "../errors.ts";
import type { CheckpointImage, RestoredInstance, RestoreOptions } from "../types.ts";
import { IDENTITY_DIR } from "./bundle.ts";
import { type CheckpointMeta, SOURCE_ANNOTATION, tail } from "./checkpoint.ts";
import { cpuSharesOf, weighInstances } from "./cpu-weight.ts";
import type { CriuConfigs } from "./criu-config.ts";
import { Freezer } from "./freezer.ts";
import type { ImageStore } from "./image-store.ts";
import { IMAGES_SUBDIR, SPEC_FILE } from "./image-store.ts";
import { toInstanceInfo } from "./instance-info.ts";
import { netnsPath } from "./instance-net.ts";
import { holdWhilePagesArrive, startLazyPages } from "./lazy-pages.ts";
import { ensureNodeCgroup, instanceCgroup, reweighNode } from "./node-cgroup.ts";
import { readNode } from "./nodes.ts";
import { identityDir, type PlacementDeps, place, unplace } from "./placement.ts";
import { writeJsonAtomic, writeRecord, writeTextAtomic } from "./records.ts";
import type { RuncState } from "./runc.ts";

export interface RestoreDeps extends PlacementDeps {
  images: ImageStore;
  criuConfigs: CriuConfigs;
  preflight: (image: CheckpointImage, targetNode: string, migrationId: string) => Promise<void>;
  /** CRIU binary for the lazy-pages daemon of a post-copy restore. */
  criu: string;
  /**
   * Whether to restore this image post-copy from its local images (a dump delivered whole).
   * A dump whose lazy pages stayed at its source is always restored post-copy.
   */
  postCopy: (image: CheckpointImage) => boolean;
  /** Hold a copy restored post-copy still until its pages are in (see `holdWhilePagesArrive`). */
  holdPostCopy: boolean;
  /** Preloaded into the lazy-pages daemon when present (see `LocalRuntimeConfig.lazyPagesSleep`). */
  lazyPagesSleep: string | undefined;
}

/**
 * Restores a checkpoint image as a new instance on `targetNode`: a fresh network namespace
 * (new address) owned by that node, a new identity file (incarnation bumped past the
 * source's), the source's OCI spec with those two swapped in. Whatever fails, nothing of the
 * new instance is left behind, and the source is never touched.
 */
export async function restoreInstance(
  deps: RestoreDeps,
  image: CheckpointImage,
  targetNode: string,
  options: RestoreOptions,
): Promise<RestoredInstance> {
  const { layout, runc, images } = deps;
  const { migrationId } = options;
  const started = performance.now();
  const mark = stopwatch();
  // Before anything is created: the image exists and the target can run it.
  await deps.preflight(image, targetNode, migrationId);
  const preflightMs = mark();

  // The source's spec travels in the image; unpack first into a scratch dir to read it.
  const scratch = join(
    images.scratchRoot(image, targetNode),
    `restore-${options.identity.instance}-${process.pid}`,
  );
  await rm(scratch, { recursive: true, force: true });
  let keepScratch = false;
  try {
    const unpacked = await images.unpack(image, targetNode, scratch, migrationId);
    const pullMs = mark();
    const spec = JSON.parse(await readFile(join(scratch, SPEC_FILE), "utf8"));
    const source = JSON.parse(spec.annotations?.[SOURCE_ANNOTATION] ?? "null") as
      | CheckpointMeta["source"]
      | null;
    if (!source) throw new Error(`the image's spec.dump has no ${SOURCE_ANNOTATION} annotation`);
    const identity = {
      ...options.identity,
      node: targetNode,
      incarnation: Math.max(options.identity.incarnation, source.identity.incarnation + 1),
      migrationId,
    };
    const record = await place(deps, {
      node: targetNode,
      spec: source.spec,
      identity,
      migrationId,
      restoredFrom: image.ref,
      postCopy: unpacked.pageSource !== undefined || deps.postCopy(image),
    });
    try {
      const instanceDir = layout.instance(record.node, record.instance);
      const bundle = join(instanceDir, "bundle");
      await mkdir(bundle, { recursive: true });
      // The instance's own CRIU config: the restore's options now, a later dump's once it is up.
      const criuConfig = join(instanceDir, "criu.conf");
      await writeFile(criuConfig, deps.criuConfigs.restoreText);
      await writeJsonAtomic(
        join(bundle, "config.json"),
        restoreSpec(spec, {
          containerId: record.containerId,
          netnsPath: netnsPath(record.netns),
          identityDir: identityDir(layout, record),
          criuConfig,
          cpuShares: cpuSharesOf(identity.role),
          cgroupsPath: instanceCgroup(record.node, record.containerId),
        }),
      );
      const workPath = join(instanceDir, "restore-work");
      await mkdir(workPath, { recursive: true });
      await weighInstances();
      const node = await readNode(layout, record.node);
      if (node) {
        await ensureNodeCgroup(node.name, node.capacity.memoryBytes, cpuSharesOf(identity.role));
      }
      await mkdir(layout.logDir, { recursive: true });
      const placeMs = mark();
      const imagePath = join(scratch, IMAGES_SUBDIR);
      const hold =
        record.postCopy && deps.holdPostCopy
          ? new Freezer(instanceCgroup(record.node, record.containerId).slice(1))
          : undefined;
      const lazy = record.postCopy
        ? await startLazyPages(deps.criu, imagePath, workPath, {
            pageServer: unpacked.pageSource,
            hold,
            preload: deps.lazyPagesSleep,
          })
        : undefined;
      let state: RuncState;
      // A daemon that dies while CRIU restores leaves CRIU waiting for it forever.
      const abort = new AbortController();
      void lazy?.done.then((code) => {
        if (code !== 0) abort.abort(`criu lazy-pages exited ${code}`);
      });
      try {
        state = await runc.restore(record.containerId, {
          bundle,
          imagePath,
          workPath,
          log: layout.log(record.instance),
          lazyPages: lazy !== undefined,
          signal: abort.signal,
        });
        if (lazy) {
          // The daemon still reads the images: remove them once it is done.
          keepScratch = true;
          void lazy.done.then(() => rm(scratch, { recursive: true, force: true }));
          if (hold) await holdWhilePagesArrive(hold, workPath);
        }
      } catch (err) {
        lazy?.kill();
        await lazy?.done;
        const detail =
          (await tail(join(workPath, "restore.log"))) || (await tail(join(workPath, "runc.log")));
        throw new RestoreError(targetNode, `${(err as Error).message}${detail}`, {
          migrationId,
          cause: err,
        });
      }
      const criuMs = mark();
      await reweighNode(record.node);
      // Atomic: a dump starting meanwhile reads the old text or the new, whole.
      await writeTextAtomic(criuConfig, deps.criuConfigs.restoredText);
      await writeRecord(layout, record);
      return {
        ...toInstanceInfo(record, state),
        ...(record.postCopy ? { pages: "arriving" as const } : {}),
        restoreMs: performance.now() - started,
        breakdown: { preflightMs, pullMs, placeMs, criuMs },
      };
    } catch (err) {
      await unplace(deps, record);
      throw err;
    }
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    throw new RestoreError(
      targetNode,
      `restore on '${targetNode}' failed: ${(err as Error).message}`,
      {
        migrationId,
        cause: err,
      },
    );
  } finally {
    if (!keepScratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** Milliseconds since the previous call (or since creation). */
function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const ms = now - last;
    last = now;
    return ms;
  };
}

/**
 * The source's OCI spec with the target's namespace, identity, CRIU options, cgroup and CPU
 * weight (runc applies the spec's resources to the restored cgroup).
 */
export function restoreSpec(
  // biome-ignore lint/suspicious/noExplicitAny: an OCI runtime spec read back from JSON
  source: Record<string, any>,
  target: {
    containerId: string;
    netnsPath: string;
    identityDir: string;
    criuConfig: string;
    cpuShares: number;
    cgroupsPath: string;
  },
): Record<string, unknown> {
  const spec = structuredClone(source);
  spec.annotations = { ...spec.annotations, "org.criu.config": target.criuConfig };
  spec.linux.cgroupsPath = target.cgroupsPath;
  spec.linux.resources = {
    ...spec.linux.resources,
    cpu: { ...spec.linux.resources?.cpu, shares: target.cpuShares },
  };
  spec.linux.namespaces = spec.linux.namespaces.map((ns: { type: string }) =>
    ns.type === "network" ? { type: "network", path: target.netnsPath } : ns,
  );
  spec.mounts = spec.mounts.map((m: { destination: string }) =>
    m.destination === IDENTITY_DIR ? { ...m, source: target.identityDir } : m,
  );
  return spec;
}
