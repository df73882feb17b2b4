import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Retention } from "./retention.ts";

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe("retention (paths)", () => {
  let root: string;
  let clock: number;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "shadow-retention-"));
    clock = 1_000;
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const retention = (budgetBytes?: number) =>
    new Retention({ dir: join(root, "ledger"), roots: [root], budgetBytes, now: () => clock++ });

  async function artifact(name: string, bytes: number): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "data"), Buffer.alloc(bytes));
    return dir;
  }

  it("release removes every path of the migration and nothing else", async () => {
    const r = retention();
    const dump = await artifact("m1-dump", 100);
    const image = await artifact("m1-image", 100);
    const other = await artifact("m2-dump", 100);
    await r.track("m1", { kind: "path", path: dump });
    await r.track("m1", { kind: "path", path: image });
    await r.track("m1", { kind: "path", path: image }); // recorded once
    await r.track("m2", { kind: "path", path: other });
    expect(await r.release("m1")).toHaveLength(2);
    expect(await exists(dump)).toBe(false);
    expect(await exists(image)).toBe(false);
    expect(await exists(other)).toBe(true);
    expect((await r.usage()).map((u) => u.migrationId)).toEqual(["m2"]);
    expect(await r.release("m1")).toEqual([]); // idempotent
  });

  it("evicts finished migrations oldest first, only as far as the budget needs", async () => {
    const r = retention();
    for (const id of ["old", "mid", "new"]) {
      await r.track(id, { kind: "path", path: await artifact(`${id}-dump`, 1000) });
    }
    await r.finish("old");
    await r.finish("mid");
    await r.finish("new");
    const result = await retention(1500).enforceBudget();
    expect(result.evicted).toEqual(["old", "mid"]);
    expect(result).toMatchObject({ usedBytes: 1000, overBudget: false });
    expect(await exists(join(root, "new-dump"))).toBe(true);
  });

  it("never evicts a migration in flight, even over budget", async () => {
    const r = retention();
    await r.track("running", { kind: "path", path: await artifact("running-dump", 1000) });
    await r.track("done", { kind: "path", path: await artifact("done-dump", 1000) });
    await r.finish("done");
    const result = await retention(10).enforceBudget();
    expect(result.evicted).toEqual(["done"]);
    expect(result.overBudget).toBe(true);
    expect(await exists(join(root, "running-dump"))).toBe(true);
  });

  it("with a budget, keeps it as migrations finish and record artifacts", async () => {
    const r = retention(2500);
    for (const id of ["m1", "m2", "m3"]) {
      await r.track(id, { kind: "path", path: await artifact(`${id}-dump`, 1000) });
      await r.finish(id);
    }
    await r.track("m4", { kind: "path", path: await artifact("m4-dump", 1000) });
    expect((await r.usage()).map((u) => u.migrationId).sort()).toEqual(["m3", "m4"]);
    expect(await exists(join(root, "m1-dump"))).toBe(false);
  });

  it("two recorders of one migration (two services) both keep their artifacts", async () => {
    const a = retention();
    const b = retention();
    const paths = await Promise.all([
      artifact("x-1", 10),
      artifact("x-2", 10),
      artifact("x-3", 10),
    ]);
    await Promise.all(paths.map((path, i) => (i % 2 ? a : b).track("x", { kind: "path", path })));
    expect(await a.release("x")).toHaveLength(3);
    for (const path of paths) expect(await exists(path)).toBe(false);
  });

  it("refuses to track a path outside its roots", async () => {
    await expect(retention().track("m", { kind: "path", path: "/etc" })).rejects.toThrow(
      /not under/,
    );
    await expect(retention().track("m", { kind: "path", path: root })).rejects.toThrow(/not under/);
  });
});

describe("retention (registry down)", () => {
  it("removes the paths anyway, throws, and keeps the registry artifact for the next try", async () => {
    const root = await mkdtemp(join(tmpdir(), "shadow-retention-down-"));
    try {
      const r = new Retention({ dir: join(root, "ledger"), roots: [root] });
      const dump = join(root, "dump");
      await mkdir(dump);
      const digest = `sha256:${"3".repeat(64)}` as const;
      // Nothing listens on port 9 of loopback: the delete fails as unreachable.
      await r.track("m", {
        kind: "registry",
        registry: "127.0.0.1:9",
        repository: "shadow/m",
        digest,
        blobs: [],
        bytes: 5,
      });
      await r.track("m", { kind: "path", path: dump });
      await expect(r.release("m")).rejects.toThrow(/unreachable/);
      expect(await exists(dump)).toBe(false);
      expect(await r.usage()).toEqual([
        { migrationId: "m", state: "in-flight", bytes: 5, finishedAt: undefined },
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
