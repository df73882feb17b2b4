/**
 * Checkpoint benchmark of the local runtime (real runc + CRIU): for 10 MB, 100 MB and 1 GB of
 * in-memory state, the source's pause, the dump, the image build and push, the restore and
 * the image size, beside this machine's memory and tmpfs/disk write bandwidth, so the distance
 * to the physical limit shows. Prints figures; asserts nothing.
 *
 *   npx tsx runtime/bench/checkpoint.ts [--sizes 10,100,1024] [--runs 3] [--freeze hook,criu] [--lazy]
 *
 * --lazy restores post-copy (CRIU lazy-pages daemon over the unpacked image, userfaultfd).
 *
 * Each run also dumps the restored copy (as an identity swap's second round does) and prints
 * where both pauses went, stage by stage, from CRIU's dump.log (see src/local/dump-profile.ts).
 *
 * Needs the local stack (deploy/local/up.sh: nodes, registry). SHADOW_DUMP_DIR puts dumps on
 * another file system (e.g. a tmpfs) to compare.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type DumpProfile, formatDumpProfile, profileDump } from "../src/local/dump-profile.ts";
import {
  createLocalRuntime,
  type LocalRuntime,
  type LocalRuntimeConfig,
  loadLocalRuntimeConfig,
} from "../src/local/index.ts";
import type { Checkpoint } from "../src/types.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10,100,1024" },
    runs: { type: "string", default: "3" },
    freeze: { type: "string", default: "hook" },
    lazy: { type: "boolean", default: false },
  },
});
const sizes = values.sizes.split(",").map(Number);
const runs = Number(values.runs);
const entry = fileURLToPath(new URL("../test/fixtures/stateful-workload.mjs", import.meta.url));
const MiB = 2 ** 20;

interface Row {
  /** Freeze mode, with "+lazy" when restored post-copy. */
  freeze: string;
  stateMb: number;
  pauseMs: number;
  dumpMs: number;
  buildMs: number;
  pushMs: number;
  restoreMs: number;
  criuRestoreMs: number;
  /** From restore's return to the copy's first answer. */
  serveMs: number;
  dumpMb: number;
  imageMb: number;
  profile?: DumpProfile;
  /** The restored copy dumped in turn (an identity swap's second round). */
  round2PauseMs: number;
  round2Profile?: DumpProfile;
}

async function main(): Promise<void> {
  const base = loadLocalRuntimeConfig();
  console.log("# machine");
  // Other work on the machine's two cores stretches every figure: print it beside them.
  console.log(
    `load average            ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    `memory copy bandwidth   ${(await memoryBandwidth()).toFixed(2)} GB/s (Buffer copy, 256 MiB)`,
  );
  console.log(
    `tmpfs write bandwidth   ${(await writeBandwidth("/dev/shm", false)).toFixed(2)} GB/s (512 MiB to /dev/shm)`,
  );
  console.log(
    `disk write bandwidth    ${(await writeBandwidth(base.stateDir, true)).toFixed(2)} GB/s (512 MiB to ${base.stateDir}, fdatasync)`,
  );
  const rt0 = await createLocalRuntime({ config: base });
  const features = await rt0.features();
  console.log(
    `CRIU ${features.criuVersion}, kernel ${features.kernel}; pre-dump (soft-dirty): ${features.preDump ? "yes" : "no"}; lazy pages (uffd): ${features.lazyPages ? "yes" : "no"}`,
  );
  const rows: Row[] = [];
  for (const freeze of values.freeze.split(",") as LocalRuntimeConfig["freeze"][]) {
    for (const mb of sizes) {
      for (let run = 0; run < (mb >= 1024 ? 1 : runs); run++) {
        rows.push(await measure({ ...base, freeze, lazyPages: values.lazy ? "on" : "off" }, mb));
        const r = rows.at(-1) as Row;
        console.log(
          `${freeze} ${mb} MB: pause ${r.pauseMs.toFixed(0)} ms (the copy's: ${r.round2PauseMs.toFixed(0)} ms), dump ${r.dumpMs.toFixed(0)} ms, build ${r.buildMs.toFixed(0)} ms, push ${r.pushMs.toFixed(0)} ms, restore ${r.restoreMs.toFixed(0)} ms (CRIU ${r.criuRestoreMs.toFixed(0)}), serves after ${r.serveMs.toFixed(0)} ms, dump ${r.dumpMb.toFixed(0)} MB, image ${r.imageMb.toFixed(0)} MB`,
        );
        if (r.profile) console.log(`  source's dump: ${formatDumpProfile(r.profile)}`);
        if (r.round2Profile) console.log(`  copy's dump:   ${formatDumpProfile(r.round2Profile)}`);
      }
    }
  }
  console.log(
    `\nload average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log("\n# medians (ms; sizes in MB)");
  console.log(
    "| freeze | state | pause | copy's pause | dump | build | push | restore (CRIU) | serves after | dump MB | image MB | dump GB/s |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const freeze of new Set(rows.map((r) => r.freeze))) {
    for (const mb of sizes) {
      const rs = rows.filter((r) => r.freeze === freeze && r.stateMb === mb);
      if (rs.length === 0) continue;
      const m = (f: (r: Row) => number) => median(rs.map(f));
      console.log(
        `| ${freeze} | ${mb} | ${m((r) => r.pauseMs).toFixed(0)} | ${m((r) => r.round2PauseMs).toFixed(0)} | ${m((r) => r.dumpMs).toFixed(0)} | ${m((r) => r.buildMs).toFixed(0)} | ${m((r) => r.pushMs).toFixed(0)} | ${m((r) => r.restoreMs).toFixed(0)} (${m((r) => r.criuRestoreMs).toFixed(0)}) | ${m((r) => r.serveMs).toFixed(0)} | ${m((r) => r.dumpMb).toFixed(0)} | ${m((r) => r.imageMb).toFixed(0)} | ${(m((r) => r.dumpMb) / 1024 / (m((r) => r.dumpMs) / 1000)).toFixed(2)} |`,
      );
    }
  }
}

async function measure(config: LocalRuntimeConfig, mb: number): Promise<Row> {
  const runtime = await createLocalRuntime({ config });
  const id = randomBytes(3).toString("hex");
  const name = `bench-${mb}-${id}`;
  const migrationId = `bench-${id}`;
  const spec = {
    entry,
    memoryBytes: (mb + 384) * MiB,
    httpPort: 8080,
    env: { BALLAST_MB: String(mb) },
  };
  const source = await runtime.run(spec, {
    workload: name,
    instance: name,
    node: "node-a",
    role: "primary",
    incarnation: 0,
  });
  let restored: string | undefined;
  try {
    await until(async () => {
      const r = await fetch(`http://${source.endpoint}/state`, {
        signal: AbortSignal.timeout(2000),
      });
      return ((await r.json()) as { ballastMb: number }).ballastMb === mb;
    }, 120_000);
    const checkpoint = await runtime.checkpoint(name, { leaveRunning: true, migrationId });
    const image = await runtime.buildImage(checkpoint, "node-b");
    const copy = await runtime.restore(image, "node-b", {
      migrationId,
      identity: {
        workload: name,
        instance: `${name}-shadow`,
        node: "node-b",
        role: "shadow",
        incarnation: 0,
      },
    });
    restored = copy.instance;
    // The copy must be alive: time until it answers (with lazy pages, its first page faults).
    const restoredAt = performance.now();
    await until(async () => {
      const r = await fetch(`http://${copy.endpoint}/state`, { signal: AbortSignal.timeout(2000) });
      return ((await r.json()) as { ballastMb: number }).ballastMb === mb;
    }, 60_000);
    const serveMs = performance.now() - restoredAt;
    const log = await readFile(
      join(runtime.layout.instance("node-b", copy.instance), "restore-work", "restore.log"),
      "utf8",
    );
    const lastTime = [...log.matchAll(/^\((\d+\.\d+)\)/gm)].at(-1)?.[1];
    const round2 = await runtime.checkpoint(copy.instance, { leaveRunning: true, migrationId });
    const profile = await dumpProfileOf(runtime, checkpoint);
    const round2Profile = await dumpProfileOf(runtime, round2);
    return {
      freeze: config.lazyPages === "on" ? `${config.freeze}+lazy` : config.freeze,
      stateMb: mb,
      pauseMs: checkpoint.pauseMs,
      dumpMs: checkpoint.dumpMs,
      buildMs: image.buildMs,
      pushMs: image.transferMs,
      restoreMs: copy.restoreMs,
      criuRestoreMs: lastTime ? Number(lastTime) * 1000 : Number.NaN,
      serveMs,
      dumpMb: checkpoint.sizeBytes / MiB,
      imageMb: image.sizeBytes / MiB,
      ...(profile ? { profile } : {}),
      round2PauseMs: round2.pauseMs,
      ...(round2Profile ? { round2Profile } : {}),
    };
  } finally {
    if (restored) await runtime.remove(restored);
    await runtime.remove(name);
    await runtime.release(migrationId);
  }
}

async function dumpProfileOf(
  runtime: LocalRuntime,
  checkpoint: Checkpoint,
): Promise<DumpProfile | undefined> {
  const dir = runtime.layout.checkpoint(checkpoint.node, checkpoint.id);
  const log = await readFile(join(dir, "work", "dump.log"), "utf8").catch(() => "");
  return profileDump(log);
}

async function memoryBandwidth(): Promise<number> {
  const a = Buffer.alloc(256 * MiB, 1);
  const b = Buffer.alloc(256 * MiB);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    a.copy(b);
    best = Math.min(best, performance.now() - t);
  }
  return (256 * MiB) / 1e9 / (best / 1000);
}

async function writeBandwidth(dir: string, sync: boolean): Promise<number> {
  const path = join(dir || tmpdir(), `bench-${randomBytes(4).toString("hex")}`);
  const chunk = randomBytes(8 * MiB);
  const t = performance.now();
  const file = await open(path, "w");
  try {
    for (let written = 0; written < 512 * MiB; written += chunk.length) await file.write(chunk);
    if (sync) await file.datasync();
  } finally {
    await file.close();
  }
  const ms = performance.now() - t;
  await rm(path, { force: true });
  return (512 * MiB) / 1e9 / (ms / 1000);
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the workload did not get ready");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
}

await main();
