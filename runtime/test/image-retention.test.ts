import { randomBytes } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCheckpointImage,
  pullImage,
  pushImage,
  Retention,
  transferNodeToNode,
} from "../src/image/index.ts";
import { makeSyntheticDump, treeDigest } from "../src/image/synthetic-dump.ts";
import {
  metadataFor,
  randomRepository,
  registry,
  registryHost,
  requireRegistry,
} from "./image-support.ts";

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe("retention of a migration's artifacts (real registry)", () => {
  const key = randomBytes(32);
  let root: string;

  beforeAll(async () => {
    await requireRegistry();
    root = await mkdtemp(join(tmpdir(), "shadow-retention-it-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** What one migration leaves behind: dump, source layout, copy on the target, registry image. */
  async function migrate(retention: Retention, id: string, bytes = 1 << 20) {
    const dump = join(root, "node-a", "dumps", id);
    await makeSyntheticDump(dump, bytes);
    await retention.track(id, { kind: "path", path: dump, node: "node-a" });
    const layout = join(root, "node-a", "images", id);
    await retention.track(id, { kind: "path", path: layout, node: "node-a" });
    const image = await buildCheckpointImage(dump, metadataFor(id), { layoutDir: layout, key });
    const copy = join(root, "node-b", "images", id);
    await retention.track(id, { kind: "path", path: copy, node: "node-b" });
    await transferNodeToNode(image.ref, copy);
    const repository = randomRepository();
    const pushed = await pushImage(image.ref, {
      registry: registryHost,
      repository,
      tag: "checkpoint",
    });
    await retention.track(id, {
      kind: "registry",
      registry: registryHost,
      repository,
      digest: pushed.digest,
      blobs: [image.manifest.config.digest, ...image.manifest.layers.map((l) => l.digest)],
      bytes: image.sizeBytes,
    });
    const restored = join(root, "node-b", "restore", id);
    await retention.track(id, { kind: "path", path: restored, node: "node-b" });
    const pulled = await pullImage(pushed.ref, { into: restored, key });
    expect(await treeDigest(pulled.dumpDir)).toEqual(await treeDigest(dump));
    return { dump, layout, copy, restored, repository, image, pushed };
  }

  it("release removes dumps, layouts, the unpacked copy and the registry manifest and blobs", async () => {
    const retention = new Retention({ dir: join(root, "ledger-1"), roots: [root] });
    const m = await migrate(retention, `rel-${randomBytes(3).toString("hex")}`);
    expect(await registry.getManifest(m.repository, m.pushed.digest)).toBeDefined();

    await retention.release(m.image.metadata.migrationId);

    for (const path of [m.dump, m.layout, m.copy, m.restored])
      expect(await exists(path), path).toBe(false);
    expect(await registry.getManifest(m.repository, m.pushed.digest)).toBeUndefined();
    for (const blob of [m.image.manifest.config.digest, m.image.manifest.layers[0]?.digest]) {
      expect(await registry.hasBlob(m.repository, blob as `sha256:${string}`)).toBe(false);
    }
    expect(await retention.usage()).toEqual([]);
  });

  it("over budget, evicts the oldest finished migrations first and never one in flight", async () => {
    let clock = 0;
    const retention = new Retention({
      dir: join(root, "ledger-2"),
      roots: [root],
      now: () => ++clock,
    });
    const ids = ["b-first", "b-second", "b-third", "b-running"].map(
      (id) => `${id}-${randomBytes(3).toString("hex")}`,
    );
    const runs = [];
    for (const id of ids) runs.push(await migrate(retention, id));
    for (const id of ids.slice(0, 3)) await retention.finish(id);
    const perMigration = (await retention.usage())[0]?.bytes ?? 0;
    expect(perMigration).toBeGreaterThan(4 << 20); // dump + 2 layouts + copy + registry

    // Room for two migrations: the two oldest finished ones must go, the third stays.
    const budgeted = new Retention({
      dir: join(root, "ledger-2"),
      roots: [root],
      budgetBytes: Math.floor(perMigration * 2.5),
    });
    const first = await budgeted.enforceBudget();
    expect(first.evicted).toEqual(ids.slice(0, 2));
    expect(first.overBudget).toBe(false);
    expect(await exists(runs[0]?.dump as string)).toBe(false);
    expect(
      await registry.getManifest(runs[1]?.repository as string, runs[1]?.pushed.digest as string),
    ).toBeUndefined();
    expect(await exists(runs[2]?.dump as string)).toBe(true);

    // A budget nothing fits: every finished migration goes, the one in flight stays.
    const tiny = new Retention({ dir: join(root, "ledger-2"), roots: [root], budgetBytes: 1 });
    const second = await tiny.enforceBudget();
    expect(second.evicted).toEqual([ids[2]]);
    expect(second.overBudget).toBe(true);
    expect(await exists(runs[3]?.dump as string)).toBe(true);
    expect(
      await registry.getManifest(runs[3]?.repository as string, runs[3]?.pushed.digest as string),
    ).toBeDefined();

    await retention.release(ids[3] as string);
  });
});
