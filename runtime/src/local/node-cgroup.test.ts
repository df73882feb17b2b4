import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ensureNodeCgroup,
  parsePsi,
  readNodeMemory,
  resolveInstanceCgroup,
  reweighNode,
} from "./node-cgroup.ts";

describe("a node's cgroup (against a cgroup tree made of plain files)", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "node-cgroup-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("weighs a node as the sum of its instances' cpu.shares, and an instance about to start", async () => {
    const node = join(root, "cpu/shadow/node-a");
    for (const [name, shares] of [
      ["orders-0", 1024],
      ["orders-0-shadow-1", 64],
    ] as const) {
      await mkdir(join(node, name), { recursive: true });
      await writeFile(join(node, name, "cpu.shares"), `${shares}\n`);
    }
    await reweighNode("node-a", 0, root);
    expect(await readFile(join(node, "cpu.shares"), "utf8")).toBe("1088");
    await reweighNode("node-a", 64, root);
    expect(await readFile(join(node, "cpu.shares"), "utf8")).toBe("1152");
    await ensureNodeCgroup("node-b", 1 << 30, 64, root);
    expect(await readFile(join(root, "cpu/shadow/node-b/cpu.shares"), "utf8")).toBe("64");
    expect(await readFile(join(root, "memory/shadow/node-b/memory.limit_in_bytes"), "utf8")).toBe(
      String(1 << 30),
    );
  });

  it("reads usage, limit and PSI; nothing for a node that never ran anything", async () => {
    expect(await readNodeMemory("node-a", root)).toBeUndefined();
    const mem = join(root, "memory/shadow/node-a");
    await mkdir(mem, { recursive: true });
    await writeFile(join(mem, "memory.usage_in_bytes"), "734003200\n");
    await writeFile(join(mem, "memory.limit_in_bytes"), "1073741824\n");
    expect(await readNodeMemory("node-a", root)).toEqual({
      usedBytes: 734003200,
      limitBytes: 1073741824,
    });
    await mkdir(join(root, "unified/shadow/node-a"), { recursive: true });
    await writeFile(
      join(root, "unified/shadow/node-a/memory.pressure"),
      "some avg10=12.50 avg60=3.10 avg300=0.70 total=912\nfull avg10=1.00 avg60=0.20 avg300=0.00 total=40\n",
    );
    expect((await readNodeMemory("node-a", root))?.psi).toEqual({
      some: { avg10: 12.5, avg60: 3.1 },
      full: { avg10: 1, avg60: 0.2 },
    });
  });

  it("finds an instance under its node, or where instances were before nodes had a cgroup", async () => {
    await mkdir(join(root, "freezer/shadow/node-a/orders-0"), { recursive: true });
    expect(await resolveInstanceCgroup("node-a", "orders-0", root)).toBe("/shadow/node-a/orders-0");
    expect(await resolveInstanceCgroup("node-a", "older-0", root)).toBe("/shadow/older-0");
  });

  it("parses a PSI file, and refuses one without both lines", () => {
    expect(parsePsi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")).toBeUndefined();
  });
});
