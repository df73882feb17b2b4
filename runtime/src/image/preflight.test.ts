import { describe, expect, it } from "vitest";
import type { TargetFacts } from "./host-facts.ts";
import type { CheckpointMetadata } from "./metadata.ts";
import { compareVersions, preflightReasons } from "./preflight.ts";

const meta: CheckpointMetadata = {
  schema: 1,
  migrationId: "m-1",
  name: "orders-0",
  sourceNode: "node-a",
  createdAt: "2026-01-01T00:00:00Z",
  criuVersion: "4.2",
  kernel: "6.18.44-fc-v669",
  arch: "amd64",
  cpuFlags: ["aes", "avx2", "sha_ni", "sse2"],
  memoryBytes: 100 << 20,
  dumpBytes: 120 << 20,
  runtime: "runc",
};

const fit: TargetFacts = {
  node: "node-b",
  criuVersion: "4.2.1",
  kernel: "6.18.2",
  arch: "amd64",
  cpuFlags: ["aes", "avx2", "avx512f", "sha_ni", "sse2"],
  freeMemoryBytes: 8 * 2 ** 30,
  freeDiskBytes: 50 * 2 ** 30,
};

describe("preflightReasons", () => {
  it("has nothing to say when the target is a superset of the source", () => {
    expect(preflightReasons(meta, fit)).toEqual([]);
  });

  it("names the CPU flags the target lacks", () => {
    const reasons = preflightReasons(meta, { ...fit, cpuFlags: ["aes", "sse2"] });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/node-b lacks CPU flags the source had: avx2 sha_ni/);
  });

  it("refuses an older CRIU and an older kernel, accepts newer ones", () => {
    expect(preflightReasons(meta, { ...fit, criuVersion: "4.1.1" })[0]).toMatch(
      /CRIU 4.1.1, older than the CRIU 4.2/,
    );
    expect(preflightReasons(meta, { ...fit, kernel: "6.12.30" })[0]).toMatch(
      /kernel 6.12.30, older/,
    );
    expect(preflightReasons(meta, { ...fit, criuVersion: "4.10", kernel: "7.0.1" })).toEqual([]);
  });

  it("refuses too little memory or disk, and another architecture, all at once", () => {
    const reasons = preflightReasons(meta, {
      ...fit,
      arch: "arm64",
      freeMemoryBytes: 10 << 20,
      freeDiskBytes: 1 << 20,
    });
    expect(reasons).toHaveLength(3);
    expect(reasons.join("\n")).toMatch(/architecture differs: image is amd64, node-b is arm64/);
    expect(reasons.join("\n")).toMatch(/10.0 MiB of memory free, the process needs 100.0 MiB/);
    expect(reasons.join("\n")).toMatch(/1.0 MiB of disk free, the dump needs 120.0 MiB/);
  });
});

describe("compareVersions", () => {
  it.each([
    ["4.2", "4.2.0", 0],
    ["4.2", "4.2.1", -1],
    ["4.10", "4.9", 1],
    ["6.18.44-fc", "6.18.44", 0],
  ] as const)("%s vs %s", (a, b, sign) => {
    expect(compareVersions(a, b)).toBe(sign);
  });
});
