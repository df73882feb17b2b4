import { createReadStream } from "node:fs";
import { mkdir, readFile, realpath, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { extractTar } from "@shadow/runtime/image";
import type {
  adoptArchiveRequest,
  CheckpointResponse,
} from "@shadow/runtime/kubernetes/agent-protocol";
import type { z } from "zod";
import type { AgentDeps } from "./deps.ts";
import { pauseFromDumpLog } from "./dump-log.ts";
import { writeDumpMeta } from "./dump-meta.ts";
import { AgentError } from "./errors.ts";
import { dumpId } from "./layout.ts";
import { dirBytes } from "./sizes.ts";

/**
 * Takes over an archive the kubelet's checkpoint API wrote: unpacked into a checkpoint
 * directory named after the migration (files and directories only: anything else in it is
 * refused), and the archive itself deleted at once, since it holds the process's memory. The
 * freeze is read from CRIU's log in the archive.
 */
export async function adoptArchive(
  deps: AgentDeps,
  req: z.infer<typeof adoptArchiveRequest>,
  requestedAt: number,
): Promise<CheckpointResponse> {
  const started = performance.now();
  const archive = await insideCheckpointDir(deps.config.checkpointDir, req.archive);
  const id = dumpId(req.migrationId, req.pod.name);
  const dir = deps.layout.dump(id);
  await mkdir(dir, { recursive: true });
  try {
    await extractTar(createReadStream(archive, { highWaterMark: 1 << 20 }), dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new AgentError(
      "ARCHIVE_INVALID",
      422,
      `the kubelet's archive ${archive}: ${(error as Error).message}`,
    );
  } finally {
    await rm(archive, { force: true });
  }
  const config = JSON.parse(await readFile(join(dir, "config.dump"), "utf8").catch(() => "{}")) as {
    rootfsImageName?: string;
  };
  const pauseMs = pauseFromDumpLog(await readFile(join(dir, "dump.log"), "utf8").catch(() => ""));
  const sizeBytes = await dirBytes(join(dir, "checkpoint"));
  const checkpoint: CheckpointResponse = {
    id,
    // Without CRIU's log, the whole call bounds the freeze.
    pauseMs: pauseMs ?? Date.now() - requestedAt,
    frozenAt: requestedAt,
    dumpMs: performance.now() - started,
    sizeBytes,
  };
  await writeDumpMeta(dir, {
    migrationId: req.migrationId,
    source: req.source,
    rootfsImage: config.rootfsImageName ?? String(req.source.template.container.image ?? ""),
    engine: "kubelet",
    checkpoint,
    memoryBytes: sizeBytes,
  });
  return checkpoint;
}

/** The archive's real path, refused unless it lies in the kubelet's checkpoint directory. */
async function insideCheckpointDir(checkpointDir: string, archive: string): Promise<string> {
  const [root, path] = await Promise.all([
    realpath(checkpointDir),
    realpath(archive).catch(() => undefined),
  ]);
  if (!path || !(await stat(path)).isFile()) {
    throw new AgentError("ARCHIVE_NOT_FOUND", 404, `no checkpoint archive at ${archive}`);
  }
  const rel = relative(root, path);
  if (rel.startsWith("..") || rel.includes("/")) {
    throw new AgentError(
      "ARCHIVE_OUTSIDE",
      422,
      `${archive} is not in the kubelet's checkpoint directory`,
    );
  }
  return path;
}
