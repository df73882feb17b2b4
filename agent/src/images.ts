import { readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  buildCheckpointImage,
  hostFacts,
  inspectImage,
  localTargetFacts,
  preflightReasons,
  pullImage,
  pushImage,
  sanitizeName,
} from "@shadow/runtime/image";
import {
  type buildImageRequest,
  type ImageResponse,
  SOURCE_ANNOTATION,
  type SourceInfo,
  sourceInfo,
} from "@shadow/runtime/kubernetes/agent-protocol";
import type { z } from "zod";
import type { AgentDeps } from "./deps.ts";
import { readDumpMeta } from "./dump-meta.ts";
import { AgentError } from "./errors.ts";

/**
 * Packs a checkpoint directory as the project's encrypted OCI checkpoint image (one layer, the
 * archive; CRI-O's and checkpointctl's annotations; what the adapter needs to recreate the
 * source's pod) and delivers it: pushed to the registry for another node, kept as a layout for
 * this one. The checkpoint directory is deleted as soon as the image exists: it holds the
 * process's memory in the clear.
 */
export async function buildImage(
  deps: AgentDeps,
  req: z.infer<typeof buildImageRequest>,
): Promise<ImageResponse> {
  const dir = deps.layout.dump(req.checkpointId);
  const meta = await readDumpMeta(dir);
  if (!meta || meta.migrationId !== req.migrationId) {
    throw new AgentError(
      "CHECKPOINT_NOT_FOUND",
      404,
      `no checkpoint ${req.checkpointId} of ${req.migrationId} here`,
    );
  }
  const layoutDir = deps.layout.image(req.checkpointId);
  await deps.retention.track(req.migrationId, {
    kind: "path",
    path: layoutDir,
    node: deps.config.node,
  });
  const optional = async (name: string) =>
    (await stat(join(dir, name)).catch(() => undefined)) ? join(dir, name) : undefined;
  const facts = await hostFacts();
  const criuVersion = (await localTargetFacts(deps.config.node, deps.layout.root, deps.config.criu))
    .criuVersion;
  const built = await buildCheckpointImage(
    join(dir, "checkpoint"),
    {
      migrationId: req.migrationId,
      name: meta.source.pod.name,
      workload: meta.source.identity.workload,
      sourceNode: deps.config.node,
      criuVersion,
      kernel: facts.kernel,
      arch: facts.arch,
      cpuFlags: facts.cpuFlags,
      memoryBytes: meta.memoryBytes,
      rootfsImageName: meta.rootfsImage,
      pod: meta.source.pod,
      engine: meta.engine,
    },
    {
      layoutDir,
      key: deps.images.key,
      chunkBytes: deps.images.cipherChunkBytes,
      specDump: JSON.parse(await readFile(join(dir, "spec.dump"), "utf8")),
      rootfsDiffTar: await optional("rootfs-diff.tar"),
      statsDump: await optional("stats-dump"),
      annotations: { [SOURCE_ANNOTATION]: JSON.stringify(meta.source) },
    },
  );
  await rm(dir, { recursive: true, force: true });
  const image = {
    digest: built.digest,
    sizeBytes: built.sizeBytes,
    encrypted: built.encrypted,
    buildMs: built.buildMs,
  };
  if (req.targetNode === deps.config.node) {
    return { ...image, ref: built.ref, transferMs: 0, transfer: "same-node" };
  }
  const started = performance.now();
  const repository = `shadow/${sanitizeName(req.migrationId)}`;
  const pushed = await pushImage(
    built.ref,
    { registry: deps.images.registry, repository, tag: sanitizeName(req.checkpointId) },
    { chunkBytes: deps.images.uploadChunkBytes },
  );
  await deps.retention.track(req.migrationId, {
    kind: "registry",
    registry: deps.images.registry,
    repository,
    digest: pushed.digest,
    blobs: [built.manifest.config.digest, ...built.manifest.layers.map((l) => l.digest)] as never,
    bytes: built.sizeBytes,
  });
  // Pushed: the layout here is of no more use.
  await rm(layoutDir, { recursive: true, force: true });
  return {
    ...image,
    ref: pushed.ref,
    transferMs: performance.now() - started,
    transfer: "registry",
  };
}

/** Fetches an image to where a restore here claims it, verified (every digest) and unpacked. */
export async function receiveImage(
  deps: AgentDeps,
  migrationId: string,
  image: { ref: string; digest: string },
): Promise<number> {
  const started = performance.now();
  const into = deps.layout.received(migrationId, image.digest);
  await deps.retention.track(migrationId, { kind: "path", path: into, node: deps.config.node });
  if (!(await stat(into).catch(() => undefined))) {
    await pullImage(image.ref, { into, key: deps.images.key, digest: image.digest, migrationId });
  }
  return performance.now() - started;
}

/** Moves the received copy to `dir`, fetching it first when it is not there (after a crash). */
export async function claimImage(
  deps: AgentDeps,
  migrationId: string,
  image: { ref: string; digest: string },
  dir: string,
): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const received = deps.layout.received(migrationId, image.digest);
  const claimed = await rename(received, dir).then(
    () => true,
    () => false,
  );
  if (!claimed)
    await pullImage(image.ref, {
      into: dir,
      key: deps.images.key,
      digest: image.digest,
      migrationId,
    });
}

/** Why this node cannot restore the image (empty: it can), from the manifest alone. */
export async function preflight(
  deps: AgentDeps,
  migrationId: string,
  image: { ref: string; digest: string },
): Promise<{ reasons: string[]; source?: SourceInfo }> {
  const { manifest, metadata } = await inspectImage(image.ref, {
    digest: image.digest,
    migrationId,
  });
  const facts = await localTargetFacts(deps.config.node, deps.layout.root, deps.config.criu);
  const parsed = sourceInfo.safeParse(
    JSON.parse(manifest.annotations?.[SOURCE_ANNOTATION] ?? "null"),
  );
  return {
    reasons: preflightReasons(metadata, facts),
    ...(parsed.success ? { source: parsed.data } : {}),
  };
}
