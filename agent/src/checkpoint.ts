import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type {
  CheckpointResponse,
  checkpointRequest,
} from "@shadow/runtime/kubernetes/agent-protocol";
import type { z } from "zod";
import type { AgentDeps } from "./deps.ts";
import { criuComplaint, pauseFromDumpLog, readDumpLog } from "./dump-log.ts";
import { writeDumpMeta } from "./dump-meta.ts";
import { AgentError } from "./errors.ts";
import { dumpId } from "./layout.ts";
import { findRecord } from "./records.ts";
import { upperDir } from "./rootfs.ts";
import { writeRootfsDiff } from "./rootfs-diff-write.ts";
import { dirBytes } from "./sizes.ts";
import { teardown } from "./teardown.ts";

/**
 * Dumps a process this agent restored (the kubelet cannot: it does not know the process), in
 * the same layout as the kubelet's archive: `checkpoint/`, `spec.dump`, `config.dump`,
 * `rootfs-diff.tar` (what it changed in its root file system), CRIU's log and statistics.
 */
export async function checkpointRestored(
  deps: AgentDeps,
  req: z.infer<typeof checkpointRequest>,
): Promise<CheckpointResponse> {
  const record = await findRecord(deps.layout, req.pod.uid);
  if (!record) {
    throw new AgentError(
      "UNKNOWN_INSTANCE",
      404,
      `this agent restored nothing into pod ${req.pod.name}`,
    );
  }
  const id = dumpId(req.migrationId, req.pod.name);
  const dir = deps.layout.dump(id);
  const imagePath = join(dir, "checkpoint");
  const workPath = join(dir, "work");
  await mkdir(imagePath, { recursive: true });
  await mkdir(workPath, { recursive: true });
  const frozenAt = Date.now();
  const started = performance.now();
  try {
    await deps.runc.checkpoint(record.id, { imagePath, workPath, leaveRunning: req.leaveRunning });
  } catch (error) {
    const detail = await criuComplaint(join(workPath, "dump.log"));
    await rm(dir, { recursive: true, force: true });
    throw new AgentError("CHECKPOINT_FAILED", 503, `${(error as Error).message}${detail}`, true);
  }
  const dumpMs = performance.now() - started;
  const container = deps.layout.container(record.id);
  const log = await readDumpLog(join(workPath, "dump.log"));
  await writeFile(join(dir, "dump.log"), log);
  await copyFile(join(workPath, "stats-dump"), join(dir, "stats-dump")).catch(() => undefined);
  await copyFile(join(container, "bundle", "config.json"), join(dir, "spec.dump"));
  await writeFile(
    join(dir, "config.dump"),
    JSON.stringify({ name: req.pod.name, rootfsImageName: record.rootfsImage, runtime: "runc" }),
  );
  const upper = await upperDir(join(container, "rootfs"));
  if (upper) await writeRootfsDiff(upper, join(dir, "rootfs-diff.tar"));
  await rm(workPath, { recursive: true, force: true });
  const sizeBytes = await dirBytes(imagePath);
  const checkpoint: CheckpointResponse = {
    id,
    pauseMs: pauseFromDumpLog(log) ?? dumpMs,
    frozenAt,
    dumpMs,
    sizeBytes,
  };
  await writeDumpMeta(dir, {
    migrationId: req.migrationId,
    source: req.source,
    rootfsImage: record.rootfsImage,
    engine: "shadow",
    checkpoint,
    memoryBytes: sizeBytes,
  });
  // Stopped at its checkpoint (a sequential migration): nothing of it is left running here.
  if (!req.leaveRunning) await teardown(deps, record);
  return checkpoint;
}
