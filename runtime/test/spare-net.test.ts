import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalRuntime, type LocalRuntime } from "../src/local/index.ts";
import {
  destroyInstanceNet,
  type InstanceNet,
  instanceNetNames,
  netnsPath,
} from "../src/local/instance-net.ts";
import { withFileLock } from "../src/local/lock.ts";
import { type PlacementDeps, place, unplace } from "../src/local/placement.ts";
import type { InstanceRecord } from "../src/local/records.ts";
import { Runc } from "../src/local/runc.ts";
import { ensureSpareNet, takeSpareNet } from "../src/local/spare-net.ts";
import { identity, workloadSpec } from "./runtime-support.ts";

/**
 * Spare instance networks: placement takes a namespace built ahead of time instead of building
 * one on its critical path, and never one that is no longer whole. The state directory is the
 * stack's, so other processes' spares may be there too; the tests only count on their own.
 */
describe("spare instance networks", () => {
  const suffix = randomBytes(3).toString("hex");
  const bridge = process.env.SHADOW_BRIDGE || "shadow0";
  let runtime: LocalRuntime;
  let deps: PlacementDeps;
  const placed: InstanceRecord[] = [];
  const built: string[] = [];

  const addressFile = (address: string) => join(runtime.layout.addressesDir, address);
  async function spares(): Promise<string[]> {
    const all = await readdir(runtime.layout.addressesDir).catch(() => []);
    const owners = await Promise.all(
      all.map((a) => readFile(addressFile(a), "utf8").catch(() => "")),
    );
    return all.filter((_, i) => owners[i] === "spare");
  }
  /** Builds one more spare than there are and returns its address. */
  async function buildOwnSpare(): Promise<string> {
    const before = new Set(await spares());
    await ensureSpareNet(runtime.layout, bridge, before.size + 1);
    const mine = (await spares()).filter((a) => !before.has(a));
    expect(mine).toHaveLength(1);
    built.push(mine[0] as string);
    return mine[0] as string;
  }

  beforeAll(async () => {
    runtime = await createLocalRuntime();
    // No replenishing timer here: the tests build the spares they use.
    deps = {
      layout: runtime.layout,
      runc: new Runc("runc", runtime.layout.runcRoot, ""),
      bridge,
      spareNets: 1,
    };
  });

  afterAll(async () => {
    for (const record of placed) await unplace(deps, record);
    // The spares built here and not taken: torn down, their addresses freed.
    const left = new Set(await spares());
    for (const address of built.filter((a) => left.has(a))) {
      await destroyInstanceNet(instanceNetNames(address));
      await rm(addressFile(address), { force: true });
    }
  });

  it("builds a spare whole: namespace, veth on the bridge, address up", async () => {
    const address = await buildOwnSpare();
    const net = instanceNetNames(address);
    expect(existsSync(netnsPath(net.netns))).toBe(true);
    expect(existsSync(`/sys/class/net/${net.veth}/brport`)).toBe(true);
  });

  it("places an instance on a spare, which is then the instance's", async () => {
    await buildOwnSpare();
    const ready = await spares();
    const record = await place(
      { ...deps, spareNets: 0 },
      { node: "node-b", spec: workloadSpec(), identity: identity(`spare-a-${suffix}`, "node-b") },
    );
    placed.push(record);
    // spareNets 0 builds a network: the record's address is not a spare's.
    expect(ready).not.toContain(record.address);
    const fromSpare = await place(
      { ...deps, spareNets: 1 },
      { node: "node-b", spec: workloadSpec(), identity: identity(`spare-b-${suffix}`, "node-b") },
    );
    placed.push(fromSpare);
    expect(ready).toContain(fromSpare.address);
    expect(await readFile(addressFile(fromSpare.address), "utf8")).toBe(`spare-b-${suffix}`);
    expect(existsSync(netnsPath(fromSpare.netns))).toBe(true);
  });

  it("never hands out a spare whose namespace is gone, and frees its address", async () => {
    const broken = await buildOwnSpare();
    await destroyInstanceNet(instanceNetNames(broken));
    const taken: InstanceNet[] = [];
    for (;;) {
      const net = await withFileLock(runtime.layout.lockFile, () =>
        takeSpareNet(runtime.layout, `spare-test-${suffix}`),
      );
      if (!net) break;
      taken.push(net);
    }
    // Give the healthy ones back.
    for (const net of taken) await writeFile(addressFile(net.address), "spare");
    expect(taken.map((n) => n.address)).not.toContain(broken);
    expect(existsSync(addressFile(broken))).toBe(false);
  });
});
