import { randomBytes } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";

/** What this machine can do, measured the way the benchmark's stages use it. */
export interface MachineFigures {
  /** One core copying memory (Buffer copy of 256 MiB, best of 5). */
  memoryCopyGBps: number;
  /** Writing 512 MiB to a tmpfs, where dumps go. */
  tmpfsWriteGBps: number;
  loadAverage: [number, number, number];
}

const MiB = 2 ** 20;

/**
 * Measures memory and tmpfs bandwidth, so each stage's throughput can be read against the
 * floor the hardware sets (a dump is a memory copy into a tmpfs; a stream reads one and writes
 * another). Prints nothing; takes about a second.
 */
export async function measureMachine(tmpfs = "/dev/shm"): Promise<MachineFigures> {
  const a = Buffer.alloc(256 * MiB, 1);
  const b = Buffer.alloc(256 * MiB);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    a.copy(b);
    best = Math.min(best, performance.now() - t);
  }
  const path = join(tmpfs, `shadow-bench-${randomBytes(4).toString("hex")}`);
  const chunk = randomBytes(8 * MiB);
  const t = performance.now();
  const file = await open(path, "w");
  try {
    for (let written = 0; written < 512 * MiB; written += chunk.length) await file.write(chunk);
  } finally {
    await file.close();
    await rm(path, { force: true });
  }
  const writeMs = performance.now() - t;
  const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
  return {
    memoryCopyGBps: (256 * MiB) / 1e9 / (best / 1000),
    tmpfsWriteGBps: (512 * MiB) / 1e9 / (writeMs / 1000),
    loadAverage: [l1, l5, l15],
  };
}

export function formatMachine(m: MachineFigures): string {
  return `machine: memory copy ${m.memoryCopyGBps.toFixed(1)} GB/s (one core), tmpfs write ${m.tmpfsWriteGBps.toFixed(2)} GB/s, load average ${m.loadAverage.map((l) => l.toFixed(1)).join(" ")}`;
}
