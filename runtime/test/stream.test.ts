import { randomBytes } from "node:crypto";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageIntegrityError, RestoreError } from "../src/errors.ts";
import { loadImageStoreConfig, pullImage } from "../src/image/index.ts";
import { treeDigest } from "../src/image/synthetic-dump.ts";
import { migrationPrefix } from "../src/local/checkpoint.ts";
import {
  createLocalRuntime,
  type LocalRuntime,
  loadLocalRuntimeConfig,
  OciImageStore,
} from "../src/local/index.ts";
import { Layout } from "../src/local/layout.ts";
import type { Wire } from "../src/local/stream-delivery.ts";
import { faultyWire } from "../src/stream/faulty-wire.ts";
import type { InstanceInfo } from "../src/types.ts";
import { rejection } from "./image-support.ts";
import { identity, readState, until, workloadSpec } from "./runtime-support.ts";

const BALLAST_MB = 48;

async function ballast(endpoint: string): Promise<{ mb: number; sum: number }> {
  // Post-copy, the first read faults every page in from the page source: slow on a busy machine.
  const response = await fetch(`http://${endpoint}/ballast`, {
    signal: AbortSignal.timeout(60_000),
  });
  return (await response.json()) as { mb: number; sum: number };
}

/** The CRIU lazy-pages daemon of a restore: the child of the wrapper whose pid it left. */
async function lazyPagesDaemonPid(workDir: string): Promise<number> {
  const wrapper = (await readFile(join(workDir, "lazy-pages.pid"), "utf8")).trim();
  const children = await readFile(`/proc/${wrapper}/task/${wrapper}/children`, "utf8");
  const pid = Number(children.trim().split(/\s+/)[0]);
  if (!pid) throw new Error(`no daemon under the lazy-pages wrapper ${wrapper}`);
  return pid;
}

/** CPU time (user + system) a running process has used so far, in ms. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

/** USER_HZ: /proc reports CPU time in these on every Linux this runs on. */
const CLOCK_TICKS_PER_S = 100;

/**
 * The streaming transfer against real CRIU: a running source with some memory, streamed to
 * node-b and restored there whole or post-copy (its lazy pages fetched from the page source on
 * first touch), a stream cut off or tampered with on its way, and a page source that dies
 * while the copy still needs it. Every failure leaves the source serving and nothing behind.
 */
describe("streamed checkpoints (real CRIU)", () => {
  const suffix = randomBytes(3).toString("hex");
  const sourceName = `st-src-${suffix}`;
  const migrationId = `m-st-${suffix}`;
  const created: string[] = [];
  let runtime: LocalRuntime;
  let source: InstanceInfo;
  let sum: number;

  /** A runtime streaming through `wire`, post-copy or not; its store, to reach page sources. */
  async function streaming(options: { postCopy: boolean; wire?: Wire; hold?: boolean }) {
    const config = {
      ...runtime.config,
      imageTransfer: "stream" as const,
      lazyPages: options.postCopy ? ("auto" as const) : ("off" as const),
      postCopyHold: options.hold ? ("on" as const) : ("off" as const),
      // The held copy's daemon sleeps while it waits (lazy-pages-sleep.c), which the held test
      // checks; the others run it as CRIU ships it.
      lazyPagesSleep: options.hold
        ? loadLocalRuntimeConfig({ ...process.env, SHADOW_LAZY_PAGES_SLEEP: "on" }).lazyPagesSleep
        : ("off" as const),
    };
    const images = new OciImageStore(
      new Layout(config.stateDir, config.dumpDir),
      loadImageStoreConfig(),
      "stream",
      { wire: options.wire },
    );
    return { rt: await createLocalRuntime({ config, images }), images };
  }

  async function expectSourceServing(): Promise<void> {
    const state = await readState(source.endpoint);
    expect(state.identity.instance).toBe(sourceName);
    expect((await runtime.inspect(sourceName))?.state).toBe("running");
  }

  /** What a stream left on node-b under this migration's name. */
  async function delivered(): Promise<string[]> {
    const { layout } = runtime;
    const names: string[] = [];
    for (const dir of [layout.imagesDir("node-b"), layout.checkpointsDir("node-b")]) {
      names.push(...(await readdir(dir).catch(() => [] as string[])));
    }
    // The source's own dump is on node-a: anything of this migration on node-b came by stream.
    return names.filter((n) => n.startsWith(migrationPrefix(migrationId)));
  }

  beforeAll(async () => {
    runtime = await createLocalRuntime();
    source = await runtime.run(
      { ...workloadSpec({ BALLAST_MB: String(BALLAST_MB) }), memoryBytes: 384 * 2 ** 20 },
      identity(sourceName, "node-a"),
    );
    created.push(sourceName);
    const ready = await until(
      "the source's ballast",
      async () => {
        const b = await ballast(source.endpoint);
        return b.mb === BALLAST_MB ? b : undefined;
      },
      60_000,
    );
    sum = ready.sum;
  });

  afterAll(async () => {
    for (const name of created) await runtime?.remove(name).catch(() => undefined);
    await runtime?.release(migrationId).catch(() => undefined);
    // The snapshots later tests took for an archive nobody asks for: drop them.
    const { layout } = runtime;
    const dropping = new OciImageStore(layout, { ...loadImageStoreConfig(), archive: false });
    await dropping.archive(migrationId);
  });

  it("streams a dump whole and restores it from what arrived", async () => {
    const { rt } = await streaming({ postCopy: false });
    const checkpoint = await rt.checkpoint(sourceName, { leaveRunning: true, migrationId });
    const image = await rt.buildImage(checkpoint, "node-b");
    expect(image.transfer).toBe("stream");
    expect(image.ref).toMatch(/^stream:\/\/node-a\//);
    expect(image.ref).not.toContain("pages=");
    expect(image.sizeBytes).toBeGreaterThanOrEqual(checkpoint.sizeBytes);
    const name = `st-whole-${suffix}`;
    const copy = await rt.restore(image, "node-b", {
      migrationId,
      identity: identity(name, "node-b", { workload: sourceName, role: "shadow" }),
    });
    created.push(name);
    expect(copy.pages).toBeUndefined();
    expect(await until("the copy's ballast", () => ballast(copy.endpoint))).toEqual({
      mb: BALLAST_MB,
      sum,
    });
    await rt.remove(name);

    // After the migration, its OCI image: the same dump, encrypted, through the registry.
    const dumped = await treeDigest(
      join(rt.layout.checkpoint(checkpoint.node, checkpoint.id), "checkpoint"),
    );
    await rt.release(migrationId);
    const [archived, ...more] = await rt.archiveImages(migrationId);
    expect(more).toEqual([]);
    expect(archived?.transfer).toBe("registry");
    expect(archived?.encrypted).toBe(true);
    const into = join(tmpdir(), `st-archive-${suffix}`);
    try {
      const pulled = await pullImage(archived?.ref ?? "", {
        into,
        key: loadImageStoreConfig().key,
        digest: archived?.digest,
      });
      expect(await treeDigest(pulled.dumpDir)).toEqual(dumped);
    } finally {
      await rm(into, { recursive: true, force: true });
    }
    // Archived once: the links it was built from are gone, a second call finds nothing.
    expect(await rt.archiveImages(migrationId)).toEqual([]);
  });

  it("restores post-copy: the stream leaves the lazy pages behind, the copy fetches them", async (ctx) => {
    if (!(await runtime.features()).lazyPages) ctx.skip();
    const { rt, images } = await streaming({ postCopy: true });
    const before = await readState(source.endpoint);
    const checkpoint = await rt.checkpoint(sourceName, { leaveRunning: true, migrationId });
    const image = await rt.buildImage(checkpoint, "node-b");
    expect(image.ref).toMatch(/\?pages=127\.0\.0\.1:\d+$/);
    // The copy waits on the page source at every first touch: it runs above normal priority,
    // whatever the niceness of the service that started it.
    const [pageSource] = images.stream.pageSourcesOf(migrationId);
    expect(pageSource && getPriority(pageSource.pid)).toBeLessThan(0);
    // Most of the dump is the ballast, and it stays at the source until it is touched.
    expect(image.sizeBytes).toBeLessThan(checkpoint.sizeBytes / 4);
    const name = `st-lazy-${suffix}`;
    const copy = await rt.restore(image, "node-b", {
      migrationId,
      identity: identity(name, "node-b", { workload: sourceName, role: "shadow" }),
    });
    created.push(name);
    expect(copy.pages).toBe("arriving");
    const state = await until("the post-copy restored copy", () => readState(copy.endpoint));
    expect(state.counter).toBeGreaterThanOrEqual(before.counter);
    // Every page came: the sum reads all of them, and the daemon says it has them all.
    expect(await ballast(copy.endpoint)).toEqual({ mb: BALLAST_MB, sum });
    await until(
      "every page in",
      async () => ((await rt.inspect(name))?.pages === "complete" ? true : undefined),
      120_000,
    );
    await rt.remove(name);
    await expectSourceServing();
  });

  it("holds a post-copy copy still while its pages arrive, then it serves", async (ctx) => {
    if (!(await runtime.features()).lazyPages) ctx.skip();
    const { rt, images } = await streaming({ postCopy: true, hold: true });
    const checkpoint = await rt.checkpoint(sourceName, { leaveRunning: true, migrationId });
    const image = await rt.buildImage(checkpoint, "node-b");
    const [pageSource] = images.stream.pageSourcesOf(migrationId);
    if (!pageSource) throw new Error("no page source was started");
    const name = `st-held-${suffix}`;
    const copy = await rt.restore(image, "node-b", {
      migrationId,
      identity: identity(name, "node-b", { workload: sourceName, role: "shadow" }),
    });
    created.push(name);
    // The page source held still for a moment keeps pages arriving; sampled until all are in,
    // the copy is never seen running before that. CRIU's daemon, its request unanswered
    // meanwhile, sleeps rather than spins (lazy-pages-sleep.c): spinning, it would use most of
    // a core for those 500 ms.
    const daemon = await lazyPagesDaemonPid(
      join(rt.layout.instance("node-b", name), "restore-work"),
    );
    process.kill(pageSource.pid, "SIGSTOP");
    const cpuBefore = await cpuMs(daemon);
    setTimeout(() => process.kill(pageSource.pid, "SIGCONT"), 500);
    const cpuWhileStopped = new Promise<number>((resolve, reject) =>
      setTimeout(() => void cpuMs(daemon).then((ms) => resolve(ms - cpuBefore), reject), 450),
    );
    const seen: string[] = [];
    const deadline = Date.now() + 120_000;
    for (;;) {
      const info = await rt.inspect(name);
      seen.push(`${info?.pages}/${info?.state}`);
      if (info?.pages !== "arriving" || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen.filter((s) => s === "arriving/paused").length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.startsWith("arriving/") && s !== "arriving/paused")).toEqual([]);
    expect(seen.at(-1)).toMatch(/^complete\//);
    expect(await cpuWhileStopped).toBeLessThan(100);
    // Its daemon's wrapper records the pages in, then thaws it.
    await until("the copy thawed", async () =>
      (await rt.inspect(name))?.state === "running" ? true : undefined,
    );
    expect(await ballast(copy.endpoint)).toEqual({ mb: BALLAST_MB, sum });
    await rt.remove(name);
    await expectSourceServing();
  });

  describe("a stream that does not arrive whole is refused, the source serving", () => {
    it.each([
      ["cut off midway", faultyWire({ kind: "cut", at: 200_000 })],
      ["with one byte changed", faultyWire({ kind: "flip", at: 150_000 })],
    ])("%s", async (_what, wire) => {
      const { rt } = await streaming({ postCopy: false, wire });
      const checkpoint = await rt.checkpoint(sourceName, { leaveRunning: true, migrationId });
      const error = await rejection(rt.buildImage(checkpoint, "node-b"));
      expect(error).toBeInstanceOf(ImageIntegrityError);
      expect((error as ImageIntegrityError).migrationId).toBe(migrationId);
      // Nothing of it on the target: no partial copy, no received one.
      expect(await delivered()).toEqual([]);
      await expectSourceServing();
    });
  });

  describe("a page source that dies before the copy has its pages", () => {
    it.for([
      ["replaying while its pages arrive", false],
      ["held still while its pages arrive", true],
    ] as const)(
      "stops the copy (%s), which reports its memory failed, the source serving",
      async ([_how, hold], ctx) => {
        if (!(await runtime.features()).lazyPages) ctx.skip();
        const { rt, images } = await streaming({ postCopy: true, hold });
        const checkpoint = await rt.checkpoint(sourceName, { leaveRunning: true, migrationId });
        const image = await rt.buildImage(checkpoint, "node-b");
        const [pageSource] = images.stream.pageSourcesOf(migrationId);
        if (!pageSource) throw new Error("no page source was started");
        // Held still, it accepts the daemon's connection (the kernel does) but answers nothing:
        // the copy waits on its first lazy page, and so may CRIU while it restores. Then it
        // dies for good.
        process.kill(pageSource.pid, "SIGSTOP");
        const name = `st-dies-${hold ? "held-" : ""}${suffix}`;
        created.push(name);
        const restoring = rt.restore(image, "node-b", {
          migrationId,
          identity: identity(name, "node-b", { workload: sourceName, role: "shadow" }),
        });
        const restored = await Promise.race([
          restoring.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3_000)),
        ]);
        if (restored) expect((await rt.inspect(name))?.pages).toBe("arriving");
        process.kill(pageSource.pid, "SIGKILL");
        // Restored before it died: the copy is stopped. Not yet: the restore is given up.
        const outcome = await rejection(restoring);
        if (!restored) expect(outcome).toBeInstanceOf(RestoreError);
        const after = await until(
          "the copy to be stopped",
          async () => {
            const info = await rt.inspect(name);
            return !info || info.state === "stopped" ? (info ?? "gone") : undefined;
          },
          30_000,
        );
        if (after !== "gone") expect(after.pages).toBe("failed");
        await rt.remove(name);
        // Nothing of the copy is left, not even what a restore killed midway leaves to runc.
        expect(await rt.inspect(name)).toBeUndefined();
        expect(
          await stat(join(runtime.layout.runcRoot, name)).catch(() => undefined),
        ).toBeUndefined();
        await expectSourceServing();
        expect(await ballast(source.endpoint)).toEqual({ mb: BALLAST_MB, sum });
      },
    );
  });
});
