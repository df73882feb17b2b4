import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { CheckpointError } from "../errors.ts";
import type { Checkpoint, CheckpointOptions } from "../types.ts";
import type { LocalRuntimeConfig } from "./config.ts";
import {
  FREEZE_TIMES_FILE,
  freezeStartFromTimes,
  pauseFromDumpLog,
  pauseFromFreezeTimes,
} from "./criu-config.ts";
import { Freezer } from "./freezer.ts";
import type { HostInfo } from "./host.ts";
import {
  type CheckpointDescription,
  duBytes,
  IMAGES_SUBDIR,
  META_FILE,
  SPEC_FILE,
} from "./image-store.ts";
import type { Layout } from "./layout.ts";
import { instanceMemoryUsage, resolveInstanceCgroup } from "./node-cgroup.ts";
import { type InstanceRecord, writeJsonAtomic } from "./records.ts";
import type { Runc } from "./runc.ts";

export interface CheckpointDeps {
  config: LocalRuntimeConfig;
  layout: Layout;
  runc: Runc;
  host: HostInfo;
}

/** Annotation of spec.dump holding the source's record (JSON of CheckpointMeta["source"]). */
export const SOURCE_ANNOTATION = "io.shadow.source";

/** What a checkpoint directory's meta.json holds: enough to restore it anywhere. */
export interface CheckpointMeta {
  checkpoint: Checkpoint;
  description: CheckpointDescription;
  source: Pick<InstanceRecord, "instance" | "workload" | "node" | "address" | "spec" | "identity">;
}

/**
 * Dumps an instance with CRIU. The source is frozen by shadow first (see freezer.ts), then
 * `runc checkpoint` runs against the frozen cgroup, then the source is thawed: the pause is
 * measured from the freeze to the thaw, which is the one interruption the source sees.
 */
export async function takeCheckpoint(
  deps: CheckpointDeps,
  record: InstanceRecord,
  options: CheckpointOptions,
): Promise<Checkpoint> {
  const { runc, layout, config } = deps;
  const fail = (message: string, cause?: unknown) =>
    new CheckpointError(record.instance, message, { migrationId: options.migrationId, cause });

  let state = await runc.state(record.containerId);
  if (state?.status === "paused") {
    // The caller holds this instance's checkpoint lock, so nobody is dumping it now: it is
    // frozen because a dump was cut short (its process was killed between freeze and thaw).
    // A source must not stay frozen, and CRIU would leave it frozen again after this dump.
    await runc.resume(record.containerId);
    state = await runc.state(record.containerId);
  }
  if (state?.status !== "running") {
    throw fail(
      `instance '${record.instance}' is ${state?.status ?? "not running"}, cannot checkpoint it`,
    );
  }
  const id = checkpointId(options.migrationId, record.instance);
  const dir = layout.checkpoint(record.node, id);
  const imagePath = join(dir, IMAGES_SUBDIR);
  const workPath = join(dir, "work");
  await mkdir(imagePath, { recursive: true });
  await mkdir(workPath, { recursive: true });
  const cgroup = await resolveInstanceCgroup(record.node, record.containerId);
  const memoryBytes = (await instanceMemoryUsage(cgroup)) ?? 0;

  const freezer = new Freezer(cgroup.slice(1));
  const mode = config.freeze;
  const hookEnv = {
    SHADOW_FREEZE_HOOK: mode === "hook" ? "1" : "0",
    SHADOW_LEAVE_RUNNING: options.leaveRunning ? "1" : "0",
  };
  const started = performance.now();
  const startedAt = Date.now();
  let wallPause: number;
  try {
    if (mode === "freezer") await freezer.freeze();
    else if (mode === "runc") await runc.pause(record.containerId);
    await runc.checkpoint(record.containerId, {
      imagePath,
      workPath,
      leaveRunning: options.leaveRunning,
      env: hookEnv,
    });
    if (options.leaveRunning) {
      // `hook`: CRIU froze the cgroup again as it exited; the hook's watcher has most likely
      // thawed it already, this makes sure.
      if (mode === "freezer" || mode === "hook") await freezer.thaw();
      else if (mode === "runc") await runc.resume(record.containerId);
    }
    wallPause = performance.now() - started;
  } catch (err) {
    // Never leave the source frozen: the migration failed, the source must keep serving.
    if (options.leaveRunning) {
      if (mode === "runc") await runc.resume(record.containerId).catch(() => undefined);
      else await freezer.thaw().catch(() => undefined);
    }
    const log = await tail(join(workPath, "dump.log"));
    await rm(dir, { recursive: true, force: true });
    throw fail(`checkpoint of '${record.instance}' failed: ${(err as Error).message}${log}`, err);
  }
  const dumpMs = performance.now() - started;
  if (!options.leaveRunning) await runc.deleteForce(record.containerId);
  const { pauseMs, frozenAt } = await measuredPause(mode, imagePath, workPath, {
    ms: wallPause,
    startedAt,
  });

  const source: CheckpointMeta["source"] = {
    instance: record.instance,
    workload: record.workload,
    node: record.node,
    address: record.address,
    spec: record.spec,
    identity: record.identity,
  };
  // The source's OCI spec travels in the image (CRI-O's spec.dump); what shadow needs to
  // restore it (the workload spec, the source's identity) rides along as an annotation.
  const bundleSpec = JSON.parse(
    await readFile(
      join(layout.instance(record.node, record.instance), "bundle", "config.json"),
      "utf8",
    ),
  );
  bundleSpec.annotations = {
    ...bundleSpec.annotations,
    [SOURCE_ANNOTATION]: JSON.stringify(source),
  };
  await writeJsonAtomic(join(dir, SPEC_FILE), bundleSpec);
  const checkpoint: Checkpoint = {
    id,
    migrationId: options.migrationId,
    instance: record.instance,
    node: record.node,
    leftRunning: options.leaveRunning,
    pauseMs,
    frozenAt,
    dumpMs,
    sizeBytes: await duBytes(imagePath),
  };
  const meta: CheckpointMeta = {
    checkpoint,
    description: { ...deps.host.facts, memoryBytes, dumpBytes: checkpoint.sizeBytes },
    source,
  };
  await writeJsonAtomic(join(dir, META_FILE), meta);
  return checkpoint;
}

/**
 * How long the source was frozen, and from when. With `freezer` and `runc` shadow froze and
 * thawed it, so the wall time around the dump is the pause; with `hook` and `criu` the freeze
 * happened inside CRIU, and its times are read back from the hook's file or CRIU's log. CRIU's
 * log counts from its own start, not the epoch, so with `criu` the window is placed at the
 * dump's start (it may begin up to CRIU's start-up earlier than the real freeze).
 */
async function measuredPause(
  mode: string,
  imagePath: string,
  workPath: string,
  wall: { ms: number; startedAt: number },
): Promise<{ pauseMs: number; frozenAt: number }> {
  const fromWall = { pauseMs: wall.ms, frozenAt: wall.startedAt };
  const dumpLog = await readFile(join(workPath, "dump.log"), "utf8").catch(() => "");
  if (mode === "hook") {
    const timesFile = join(imagePath, FREEZE_TIMES_FILE);
    const times = await readFile(timesFile, "utf8").catch(() => "");
    // Not part of the checkpoint: keep it beside the dump log.
    await rename(timesFile, join(workPath, FREEZE_TIMES_FILE)).catch(() => undefined);
    const pauseMs = pauseFromFreezeTimes(times, dumpLog);
    const frozenAt = freezeStartFromTimes(times);
    return pauseMs === undefined || frozenAt === undefined ? fromWall : { pauseMs, frozenAt };
  }
  if (mode === "criu") {
    const pauseMs = pauseFromDumpLog(dumpLog);
    return pauseMs === undefined ? fromWall : { pauseMs, frozenAt: wall.startedAt };
  }
  return fromWall;
}

export function checkpointId(migrationId: string, instance: string): string {
  return `${migrationPrefix(migrationId)}${cleanName(instance)}.${Date.now().toString(36)}`;
}

/**
 * How every file and directory a migration leaves on a node begins, so `release` finds them
 * all, even those a crash left before retention knew of them.
 */
export function migrationPrefix(migrationId: string): string {
  return `${cleanName(migrationId)}.`;
}

function cleanName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 40);
}

/** The last lines of a CRIU log, for an error message. */
export async function tail(path: string, lines = 6): Promise<string> {
  const text = await readFile(path, "utf8").catch(() => "");
  const errors = text.split("\n").filter((l) => /Error|error|fail/.test(l));
  const chosen = (errors.length > 0 ? errors : text.split("\n")).slice(-lines).join(" | ").trim();
  return chosen ? ` (${path}: ${chosen})` : "";
}
