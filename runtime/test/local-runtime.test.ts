import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CapacityError,
  ImageDecryptError,
  ImageIntegrityError,
  ImageNotFoundError,
  UnknownNodeError,
} from "../src/errors.ts";
import { loadImageStoreConfig } from "../src/image/index.ts";
import { migrationPrefix } from "../src/local/checkpoint.ts";
import { CPU_SHARES, INSTANCES_CPU_CGROUP, INSTANCES_CPU_SHARES } from "../src/local/cpu-weight.ts";
import {
  createLocalRuntime,
  type LocalRuntime,
  loadLocalRuntimeConfig,
  OciImageStore,
} from "../src/local/index.ts";
import { instanceCgroup } from "../src/local/node-cgroup.ts";
import type { CheckpointImage, InstanceInfo } from "../src/types.ts";
import { flipByte, registryBlobPath, rejection } from "./image-support.ts";
import {
  addNode,
  footprint,
  identity,
  readState,
  removeNode,
  TcpRecorder,
  until,
  workloadSpec,
} from "./runtime-support.ts";

/**
 * The local runtime against real runc and CRIU 4.2: a Node process with in-memory state and a
 * TCP connection, checkpointed on node-a while it keeps running, restored on node-b at a new
 * address, and the faults a restore must survive without touching the source.
 */
describe("local runtime (real CRIU)", () => {
  const suffix = randomBytes(3).toString("hex");
  const sourceName = `rt-src-${suffix}`;
  const shadowName = `rt-shadow-${suffix}`;
  const migrationId = `m-rt-${suffix}`;
  const created: string[] = [];
  const tcp = new TcpRecorder();
  let runtime: LocalRuntime;
  let source: InstanceInfo;
  let image: CheckpointImage;

  /**
   * A new image of the (still running) source, delivered to `deliveredTo`: a restore anywhere
   * else pulls it from the registry again, with every check a pull makes. Not node-a, where it
   * is built: an image for its own node moves nowhere, through no registry.
   */
  async function freshImage(deliveredTo = "node-b"): Promise<CheckpointImage> {
    const checkpoint = await runtime.checkpoint(sourceName, { leaveRunning: true, migrationId });
    return runtime.buildImage(checkpoint, deliveredTo);
  }

  async function expectSourceServing(): Promise<void> {
    const state = await readState(source.endpoint);
    expect(state.identity.instance).toBe(sourceName);
    expect(state.identity.role).toBe("primary");
    expect((await runtime.inspect(sourceName))?.state).toBe("running");
  }

  beforeAll(async () => {
    // These tests are of images: built, pushed, pulled, tampered with in the registry.
    runtime = await createLocalRuntime({
      config: loadLocalRuntimeConfig(process.env, { imageTransfer: "registry" }),
    });
    await tcp.start();
    source = await runtime.run(
      workloadSpec({ TCP_SERVER: `10.213.0.1:${tcp.port}` }),
      identity(sourceName, "node-a"),
    );
    created.push(sourceName);
    await until("the source to serve and connect", async () => {
      const state = await readState(source.endpoint);
      return state.tcp.connected && state.counter > 20 ? state : undefined;
    });
  });

  afterAll(async () => {
    for (const name of created) await runtime?.remove(name).catch(() => undefined);
    await runtime?.release(migrationId).catch(() => undefined);
    await tcp.stop();
  });

  it("restores a running source on another node, at a new address, from its state", async () => {
    expect(source.node).toBe("node-a");
    const before = await readState(source.endpoint);

    const asked = Date.now();
    const checkpoint = await runtime.checkpoint(sourceName, { leaveRunning: true, migrationId });
    const answered = Date.now();
    expect(checkpoint.leftRunning).toBe(true);
    expect(checkpoint.pauseMs).toBeGreaterThan(0);
    expect(checkpoint.pauseMs).toBeLessThanOrEqual(checkpoint.dumpMs);
    // The freeze window lies within the call, on the epoch clock the verifier uses.
    expect(checkpoint.frozenAt).toBeGreaterThanOrEqual(asked);
    // The pause counts CRIU's last steps after the thaw on CRIU's own clock, from the log line
    // before the hook ran: it may over-count by the hook's start-up (milliseconds; more when
    // the machine is loaded), never under-count.
    expect(checkpoint.frozenAt + checkpoint.pauseMs).toBeLessThanOrEqual(answered + 50);
    expect(checkpoint.sizeBytes).toBeGreaterThan(1 << 20);

    image = await runtime.buildImage(checkpoint, "node-b");
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image.encrypted).toBe(true);
    expect(image.transfer).toBe("registry");

    const shadow = await runtime.restore(image, "node-b", {
      migrationId,
      identity: identity(shadowName, "node-b", { workload: sourceName, role: "shadow" }),
    });
    created.push(shadowName);
    expect(shadow.node).toBe("node-b");
    expect(shadow.endpoint).not.toBe(source.endpoint);
    expect(shadow.state).toBe("running");

    // A shadow yields the CPU to what serves until it takes over; instances as a group come
    // before the node's other processes.
    // Instances live under their node's group (/shadow/<node>/<instance>).
    const shares = (group: string) =>
      readFile(`${INSTANCES_CPU_CGROUP}/${group}cpu.shares`, "utf8").then(Number);
    expect(await shares(`node-b/${shadowName}/`)).toBe(CPU_SHARES.shadow);
    expect(await shares(`node-a/${sourceName}/`)).toBe(CPU_SHARES.serving);
    expect(await shares("")).toBe(INSTANCES_CPU_SHARES);
    await runtime.setCpuPriority(shadowName, "serving");
    expect(await shares(`node-b/${shadowName}/`)).toBe(CPU_SHARES.serving);

    // The copy continues from the dumped memory: the counter did not start over, and the
    // TCP client's connect count came along from the source (1) before it reconnected.
    const restored = await until("the shadow to serve", () => readState(shadow.endpoint));
    expect(restored.counter).toBeGreaterThanOrEqual(before.counter);
    expect(restored.entries).toBeGreaterThanOrEqual(before.entries);
    expect(restored.uptimeMs).toBeGreaterThan(before.uptimeMs);
    // It re-reads its identity from the mounted file, not from memory.
    expect(restored.identity).toMatchObject({
      instance: shadowName,
      node: "node-b",
      role: "shadow",
      incarnation: 1,
      migrationId,
    });

    // Its TCP connection came back closed (tcp-close): it reconnects from its new address,
    // while the source keeps its own connection.
    const shadowAddress = shadow.endpoint.split(":")[0] ?? "";
    const sourceAddress = source.endpoint.split(":")[0] ?? "";
    await until("the shadow's reconnect", async () =>
      tcp.from(shadowAddress).some((c) => c.open && c.lines.some((l) => l.includes(shadowName)))
        ? true
        : undefined,
    );
    const afterReconnect = await readState(shadow.endpoint);
    expect(afterReconnect.tcp.connects).toBeGreaterThanOrEqual(2);
    expect(afterReconnect.tcp.localAddress).toBe(shadowAddress);
    expect(tcp.from(sourceAddress).filter((c) => c.open)).toHaveLength(1);

    // Both alive and reachable, each with its own identity.
    const sourceNow = await readState(source.endpoint);
    expect(sourceNow.counter).toBeGreaterThan(before.counter);
    expect(sourceNow.tcp.connects).toBe(before.tcp.connects);
    await expectSourceServing();
    expect((await runtime.list()).map((i) => i.instance)).toEqual(
      expect.arrayContaining([sourceName, shadowName]),
    );
    const nodeB = (await runtime.nodes()).find((n) => n.name === "node-b");
    expect(nodeB?.allocated.instances).toBeGreaterThanOrEqual(1);
  });

  it("rewrites an instance's identity without restarting it", async () => {
    const shadow = await runtime.inspect(shadowName);
    if (!shadow) throw new Error("the shadow is gone");
    const pid = shadow.pid;
    await runtime.setIdentity(shadowName, { ...shadow.identity, role: "primary" });
    await until("the new role", async () =>
      (await readState(shadow.endpoint)).identity.role === "primary" ? true : undefined,
    );
    expect((await runtime.inspect(shadowName))?.pid).toBe(pid);
  });

  it("caps an instance's CPU and lifts the cap, without stopping it", async () => {
    const before = await runtime.inspect(sourceName);
    await runtime.limitCpu(sourceName, 0.25);
    expect(await cpuQuota("node-a", sourceName)).toEqual({ quota: 25_000, period: 100_000 });
    await expectSourceServing();
    await runtime.limitCpu(sourceName, undefined);
    expect((await cpuQuota("node-a", sourceName)).quota).toBe(-1);
    expect((await runtime.inspect(sourceName))?.pid).toBe(before?.pid);
  });

  describe("a restore that cannot succeed leaves the source serving and nothing behind", () => {
    async function refused(restore: () => Promise<unknown>): Promise<unknown> {
      const before = await footprint(runtime);
      const error = await rejection(restore());
      expect(await footprint(runtime)).toEqual(before);
      await expectSourceServing();
      return error;
    }
    const shadowIdentity = () => identity(`rt-fail-${randomBytes(3).toString("hex")}`, "node-b");
    // Where the damaged images are delivered, so that the restores on node-b pull them.
    const elsewhere = `node-dl-${suffix}`;
    beforeAll(() => addNode(elsewhere, 0));
    afterAll(() => removeNode(elsewhere));

    it("from a missing image", async () => {
      const missing = {
        ...image,
        ref: `${image.ref.split("/")[0]}/shadow/missing-${suffix}:none@sha256:${"0".repeat(64)}`,
        digest: `sha256:${"0".repeat(64)}`,
      };
      const error = await refused(() =>
        runtime.restore(missing, "node-b", { migrationId, identity: shadowIdentity() }),
      );
      expect(error).toBeInstanceOf(ImageNotFoundError);
    });

    it("from a corrupted image (layer truncated in the registry)", async () => {
      const damaged = await freshImage(elsewhere);
      const { writeFile, readFile } = await import("node:fs/promises");
      const layer = await layerDigest(damaged);
      const path = registryBlobPath(layer);
      await writeFile(path, (await readFile(path)).subarray(0, 4096));
      const error = await refused(() =>
        runtime.restore(damaged, "node-b", { migrationId, identity: shadowIdentity() }),
      );
      expect(error).toBeInstanceOf(ImageIntegrityError);
    });

    it("from a tampered image (one byte flipped) and says so", async () => {
      const tampered = await freshImage(elsewhere);
      await flipByte(registryBlobPath(await layerDigest(tampered)), 1000);
      const error = await refused(() =>
        runtime.restore(tampered, "node-b", { migrationId, identity: shadowIdentity() }),
      );
      expect(error).toBeInstanceOf(ImageIntegrityError);
    });

    it("with the wrong key", async () => {
      const image = await freshImage(elsewhere);
      const wrongKey = await createLocalRuntime({
        images: new OciImageStore(runtime.layout, {
          ...loadImageStoreConfig(),
          key: randomBytes(32),
        }),
      });
      const error = await refused(() =>
        wrongKey.restore(image, "node-b", { migrationId, identity: shadowIdentity() }),
      );
      expect(error).toBeInstanceOf(ImageDecryptError);
    });

    it("onto an unknown node", async () => {
      const error = await refused(() =>
        runtime.restore(image, `node-nope-${suffix}`, { migrationId, identity: shadowIdentity() }),
      );
      expect(error).toBeInstanceOf(UnknownNodeError);
      expect((error as UnknownNodeError).migrationId).toBe(migrationId);
    });

    it("into a node without capacity", async () => {
      const full = `node-full-${suffix}`;
      await addNode(full, 0);
      try {
        const error = await refused(() =>
          runtime.restore(image, full, {
            migrationId,
            identity: { ...shadowIdentity(), node: full },
          }),
        );
        expect(error).toBeInstanceOf(CapacityError);
        expect((error as CapacityError).message).toContain("instance slots");
      } finally {
        await removeNode(full);
      }
    });
  });

  it("checkpoints with stop (sequential) and restores the stopped source elsewhere", async () => {
    const name = `rt-seq-${suffix}`;
    const seq = await runtime.run(workloadSpec(), identity(name, "node-a"));
    created.push(name);
    const before = await until("the sequential source", async () => {
      const s = await readState(seq.endpoint);
      return s.counter > 10 ? s : undefined;
    });
    const checkpoint = await runtime.checkpoint(name, { leaveRunning: false, migrationId });
    expect(checkpoint.leftRunning).toBe(false);
    expect((await runtime.inspect(name))?.state).toBe("stopped");
    await runtime.remove(name);
    const image = await runtime.buildImage(checkpoint, "node-b");
    const restored = await runtime.restore(image, "node-b", {
      migrationId,
      identity: identity(name, "node-b"),
    });
    const state = await until("the restored copy", () => readState(restored.endpoint));
    expect(state.counter).toBeGreaterThanOrEqual(before.counter);
    expect(state.identity).toMatchObject({ instance: name, node: "node-b", incarnation: 1 });
  });

  it.each(["registry", "node-to-node"] as const)(
    "delivers an image through %s to the target, verified and unpacked on arrival, so the restore does not pull",
    async (transfer) => {
      const before = await readState(source.endpoint);
      const checkpoint = await runtime.checkpoint(sourceName, { leaveRunning: true, migrationId });
      const delivered = await runtime.buildImage(checkpoint, "node-b", { transfer });
      expect(delivered.transfer).toBe(transfer);
      if (transfer === "registry") expect(delivered.ref).not.toMatch(/^oci:/);
      else expect(delivered.ref).toMatch(/^oci:/);
      const name = `rt-${transfer === "registry" ? "reg" : "direct"}-${suffix}`;
      const copy = await runtime.restore(delivered, "node-b", {
        migrationId,
        identity: identity(name, "node-b", { workload: sourceName, role: "shadow" }),
      });
      created.push(name);
      // A pull reads the image through digests, decryption and tar; claiming is a rename.
      expect(copy.breakdown?.pullMs).toBeLessThan(50);
      const state = await until("the delivered copy", () => readState(copy.endpoint));
      expect(state.counter).toBeGreaterThanOrEqual(before.counter);

      // A second restore of the same image (a redelivery after a crash) finds nothing to claim
      // and pulls what was sent, verifying it again.
      const again = `${name}-2`;
      const second = await runtime.restore(delivered, "node-b", {
        migrationId,
        identity: identity(again, "node-b", { workload: sourceName, role: "shadow" }),
      });
      created.push(again);
      expect(second.breakdown?.pullMs).toBeGreaterThan(copy.breakdown?.pullMs ?? 0);
      expect((await readState(second.endpoint)).counter).toBeGreaterThanOrEqual(before.counter);
    },
  );

  it("moves nothing for an image restored on the node it was built on, and still verifies it", async () => {
    const before = await readState(source.endpoint);
    const checkpoint = await runtime.checkpoint(sourceName, { leaveRunning: true, migrationId });
    // Asked for the registry: an identity swap's second round builds and restores on one node.
    const local = await runtime.buildImage(checkpoint, "node-a", { transfer: "registry" });
    expect(local.transfer).toBe("same-node");
    expect(local.ref).toMatch(/^oci:/);
    const name = `rt-same-${suffix}`;
    const copy = await runtime.restore(local, "node-a", {
      migrationId,
      identity: identity(name, "node-a", { workload: sourceName, role: "shadow" }),
    });
    created.push(name);
    expect(copy.node).toBe("node-a");
    expect(copy.breakdown?.pullMs).toBeLessThan(50);
    const state = await until("the copy on the same node", () => readState(copy.endpoint));
    expect(state.counter).toBeGreaterThanOrEqual(before.counter);
  });

  it("restores post-copy (lazy pages) where userfaultfd is there", async (ctx) => {
    if (!(await runtime.features()).lazyPages) ctx.skip();
    const lazy = await createLocalRuntime({ config: { ...runtime.config, lazyPages: "on" } });
    const before = await readState(source.endpoint);
    const checkpoint = await lazy.checkpoint(sourceName, { leaveRunning: true, migrationId });
    const image = await lazy.buildImage(checkpoint, "node-b");
    const name = `rt-lazy-${suffix}`;
    const copy = await lazy.restore(image, "node-b", {
      migrationId,
      identity: identity(name, "node-b", { workload: sourceName, role: "shadow" }),
    });
    created.push(name);
    const state = await until("the lazily restored copy", () => readState(copy.endpoint));
    expect(state.counter).toBeGreaterThanOrEqual(before.counter);
    expect(state.identity.instance).toBe(name);
    // Once every page is in, the daemon exits and the unpacked images go.
    // The daemon pushes the pages nobody faulted in the background; on a busy machine that
    // takes a while.
    await until(
      "the lazy-pages daemon to finish",
      async () => ((await footprint(lazy)).scratch.length === 0 ? true : undefined),
      90_000,
    );
    await lazy.remove(name);
    await expectSourceServing();
  });

  it("removes an instance completely", async () => {
    await runtime.remove(shadowName);
    const after = await footprint(runtime);
    expect(after.containers).not.toContain(shadowName);
    expect(after.instanceDirs.some((d) => d.endsWith(`/${shadowName}`))).toBe(false);
    expect(await runtime.inspect(shadowName)).toBeUndefined();
  });

  it("reports what this kernel can do, asked of CRIU", async () => {
    const features = await runtime.features();
    expect(features.criuVersion).toMatch(/^4\./);
    // This kernel has no soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY): no iterative pre-dump.
    expect(typeof features.preDump).toBe("boolean");
    expect(typeof features.lazyPages).toBe("boolean");
  });

  it("releases what the migration left on every node: dumps, images, delivered copies", async () => {
    const left = async () => {
      const names: string[] = [];
      for (const node of ["node-a", "node-b"]) {
        const { layout } = runtime;
        for (const dir of [layout.checkpointsDir(node), layout.imagesDir(node)]) {
          const listed = await readdir(dir).catch(() => [] as string[]);
          names.push(...listed.filter((n) => n.startsWith(migrationPrefix(migrationId))));
        }
      }
      return names;
    };
    // An image delivered to node-b and never restored: its delivered copy is still there.
    await freshImage("node-b");
    expect((await left()).filter((n) => n.includes(".received-")).length).toBeGreaterThan(0);
    await runtime.release(migrationId);
    expect(await left()).toEqual([]);
  });
});

async function layerDigest(image: CheckpointImage): Promise<`sha256:${string}`> {
  const { inspectImage } = await import("../src/image/index.ts");
  const { manifest } = await inspectImage(image.ref, { digest: image.digest });
  const layer = manifest.layers[0]?.digest;
  if (!layer) throw new Error("the image has no layer");
  return layer as `sha256:${string}`;
}

/** The CFS quota of an instance's cgroup as the kernel has it (cgroup v1 or v2). */
async function cpuQuota(
  node: string,
  containerId: string,
): Promise<{ quota: number; period: number }> {
  const group = instanceCgroup(node, containerId);
  const v2 = await readFile(`/sys/fs/cgroup${group}/cpu.max`, "utf8").catch(() => undefined);
  if (v2 !== undefined) {
    const [quota = "", period = ""] = v2.trim().split(/\s+/);
    return { quota: quota === "max" ? -1 : Number(quota), period: Number(period) };
  }
  const dir = `/sys/fs/cgroup/cpu${group}`;
  return {
    quota: Number(await readFile(`${dir}/cpu.cfs_quota_us`, "utf8")),
    period: Number(await readFile(`${dir}/cpu.cfs_period_us`, "utf8")),
  };
}
