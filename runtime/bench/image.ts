/**
 * Checkpoint image throughput: build (tar + encrypt + hash), push to the local registry,
 * pull (download + verify + decrypt + unpack), and the node-to-node alternative, for 10 MB,
 * 100 MB and 1 GB of random (incompressible, like page images) dump data on tmpfs. Beside
 * them, this machine's single-core limits for the same work (AES-256-GCM, SHA-256, tmpfs
 * write), so the distance to the physical limit is visible.
 *
 *   npx tsx runtime/bench/image.ts [--sizes 10,100,1000] [--runs 2] [--dir /dev/shm]
 *
 * Needs the registry (deploy/local/registry.sh start). Prints figures; asserts nothing.
 */
import { createCipheriv, createHash, randomBytes, randomFillSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import {
  buildCheckpointImage,
  pullImage,
  pushImage,
  RegistryClient,
  transferNodeToNode,
} from "../src/image/index.ts";
import { makeSyntheticDump, treeDigest } from "../src/image/synthetic-dump.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10,100,1000" },
    runs: { type: "string", default: "2" },
    dir: { type: "string", default: "/dev/shm" },
  },
});
const sizesMb = (values.sizes ?? "").split(",").map(Number);
const runs = Number(values.runs);
const registryHost = process.env.SHADOW_REGISTRY ?? "127.0.0.1:5000";
const stateDir = process.env.SHADOW_STATE ?? "/var/lib/shadow";
const MB = 1e6;

const mbps = (bytes: number, ms: number) => `${(bytes / MB / (ms / 1000)).toFixed(0)} MB/s`;
const ms = (t: number) => `${t.toFixed(0)} ms`;

function limits(): Record<string, string> {
  const buf = randomFillSync(Buffer.allocUnsafe(256 << 20));
  const time = (f: () => void) => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };
  const aes = time(() => {
    const c = createCipheriv("aes-256-gcm", randomBytes(32), randomBytes(12));
    for (let at = 0; at < buf.length; at += 1 << 20) c.update(buf.subarray(at, at + (1 << 20)));
    c.final();
  });
  const sha = time(() => createHash("sha256").update(buf).digest());
  const copy = time(() => Buffer.from(buf));
  return {
    "AES-256-GCM (1 core)": mbps(buf.length, aes),
    "SHA-256 (1 core)": mbps(buf.length, sha),
    "memory copy": mbps(buf.length, copy),
  };
}

async function tmpfsWrite(dir: string): Promise<string> {
  const buf = randomFillSync(Buffer.allocUnsafe(256 << 20));
  const path = join(dir, "bench-write");
  const t = performance.now();
  await writeFile(path, buf);
  const elapsed = performance.now() - t;
  await rm(path);
  return mbps(buf.length, elapsed);
}

interface Row {
  size: string;
  build: number;
  push: number;
  pull: number;
  transfer: number;
  pullLocal: number;
  image: number;
  buildPlain: number;
}

async function main(): Promise<void> {
  const registry = new RegistryClient(registryHost);
  if (!(await registry.ping()))
    throw new Error(`no registry on ${registryHost}: run deploy/local/registry.sh start`);
  const root = await mkdtemp(join(values.dir ?? "/dev/shm", "shadow-image-bench-"));
  const key = randomBytes(32);
  const rows: Row[] = [];
  console.log(
    `image bench: dumps and layouts on ${root}; registry ${registryHost} stores in ${stateDir}/registry/data`,
  );
  const machine = { ...limits(), [`write to ${values.dir}`]: await tmpfsWrite(root) };
  try {
    for (const sizeMb of sizesMb) {
      const bytes = sizeMb * MB;
      const dump = join(root, "dump");
      await makeSyntheticDump(dump, bytes);
      const want = await treeDigest(dump);
      for (let run = 1; run <= runs; run++) {
        const id = `bench-${sizeMb}mb-${run}-${randomBytes(3).toString("hex")}`;
        const meta = {
          migrationId: id,
          name: "bench",
          sourceNode: "node-a",
          criuVersion: "4.2",
          kernel: "6.18",
          arch: "amd64",
          cpuFlags: [],
          memoryBytes: bytes,
        };
        const plain = await buildCheckpointImage(dump, meta, { layoutDir: join(root, "plain") });
        await rm(plain.layoutDir, { recursive: true });
        const image = await buildCheckpointImage(dump, meta, {
          layoutDir: join(root, "node-a"),
          key,
        });
        const repository = `shadow-bench/${id}`;
        const pushed = await pushImage(image.ref, {
          registry: registryHost,
          repository,
          tag: "checkpoint",
        });
        const pulled = await pullImage(pushed.ref, { into: join(root, "pulled"), key });
        await mkdir(join(root, "node-b"), { recursive: true });
        const moved = await transferNodeToNode(image.ref, join(root, "node-b", "image"));
        const local = await pullImage(moved.ref, { into: join(root, "pulled-local"), key });
        for (const dir of [pulled.dumpDir, local.dumpDir]) {
          const got = await treeDigest(dir);
          if (JSON.stringify(got) !== JSON.stringify(want))
            throw new Error(`${dir} differs from the dump`);
        }
        rows.push({
          size: `${sizeMb} MB`,
          build: image.buildMs,
          buildPlain: plain.buildMs,
          push: pushed.pushMs,
          pull: pulled.pullMs,
          transfer: moved.transferMs,
          pullLocal: local.pullMs,
          image: image.sizeBytes,
        });
        await registry.deleteManifest(repository, pushed.digest);
        for (const blob of [image.manifest.config, ...image.manifest.layers])
          await registry.deleteBlob(repository, blob.digest);
        for (const dir of ["node-a", "node-b", "pulled", "pulled-local"])
          await rm(join(root, dir), { recursive: true, force: true });
      }
      await rm(dump, { recursive: true, force: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }

  console.log("\nmachine (single core unless said):");
  for (const [what, value] of Object.entries(machine)) console.log(`  ${what.padEnd(24)} ${value}`);
  console.log(
    "\n| state | image | build plain | build+encrypt | push (registry) | pull+verify+decrypt+unpack | node-to-node copy | pull from copy | build+push+pull |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const bytes = r.image;
    const total = r.build + r.push + r.pull;
    console.log(
      `| ${r.size} | ${(bytes / MB).toFixed(1)} MB | ${ms(r.buildPlain)} (${mbps(bytes, r.buildPlain)}) | ${ms(r.build)} (${mbps(bytes, r.build)}) | ${ms(r.push)} (${mbps(bytes, r.push)}) | ${ms(r.pull)} (${mbps(bytes, r.pull)}) | ${ms(r.transfer)} (${mbps(bytes, r.transfer)}) | ${ms(r.pullLocal)} (${mbps(bytes, r.pullLocal)}) | ${ms(total)} |`,
    );
  }
  console.log(
    "\nregistry blobs are unlinked, not freed: run deploy/local/registry.sh gc to reclaim their disk space.",
  );
}

await main();
