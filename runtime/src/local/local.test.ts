import { describe, expect, it } from "vitest";
import { IDENTITY_DIR, ociSpec } from "./bundle.ts";
import { freezeStartFromTimes, pauseFromDumpLog, pauseFromFreezeTimes } from "./criu-config.ts";
import { instanceNetNames } from "./instance-net.ts";
import { instanceCgroup } from "./node-cgroup.ts";
import { restoreSpec } from "./restore.ts";

// biome-ignore lint/suspicious/noExplicitAny: OCI specs are plain JSON, asserted field by field
type Json = Record<string, any>;

const input = {
  containerId: "orders-0",
  spec: { entry: "/srv/orders.mjs", httpPort: 8080, memoryBytes: 128 << 20, env: { A: "1" } },
  rootfs: "/cache/rootfs",
  identityDir: "/state/nodes/node-a/instances/orders-0/identity",
  netnsPath: "/var/run/netns/shadow-i100",
  criuConfig: "/state/criu/dump.conf",
  hostname: "orders",
  cpuShares: 1024,
  cgroupsPath: "/shadow/node-a/orders-0",
};

describe("ociSpec", () => {
  const spec = ociSpec(input) as Json;

  it("runs the entry file with the machine's node from a shared read-only root", () => {
    expect(spec.root).toEqual({ path: "/cache/rootfs", readonly: true });
    expect(spec.process.args).toEqual(["/usr/local/bin/node", "/opt/shadow/orders.mjs"]);
    expect(spec.process.env).toEqual(
      expect.arrayContaining([
        "SHADOW_IDENTITY_FILE=/run/shadow/identity.json",
        "SHADOW_HTTP_PORT=8080",
        "A=1",
      ]),
    );
    // CRIU cannot restore runc's default RLIMIT_NOFILE: none are set.
    expect(spec.process.rlimits).toBeUndefined();
    expect(spec.process.terminal).toBe(false);
  });

  it("binds the identity directory and the entry read-only, joins the instance's netns", () => {
    const identity = spec.mounts.find(
      (m: { destination: string }) => m.destination === IDENTITY_DIR,
    );
    expect(identity).toMatchObject({ source: input.identityDir, options: ["rbind", "ro"] });
    const entry = spec.mounts.find((m: { destination: string }) => m.destination === "/opt/shadow");
    expect(entry).toMatchObject({ source: "/srv" });
    expect(entry.options).toContain("ro");
    expect(spec.linux.namespaces).toContainEqual({ type: "network", path: input.netnsPath });
    expect(spec.annotations["org.criu.config"]).toBe(input.criuConfig);
    expect(spec.linux.resources.memory.limit).toBe(128 << 20);
    expect(spec.linux.resources.cpu).toEqual({ shares: 1024 });
    // Under its node's cgroup, which is what the node's memory pressure is read from.
    expect(spec.linux.cgroupsPath).toBe("/shadow/node-a/orders-0");
  });
});

describe("restoreSpec", () => {
  it("swaps in the target's namespace, identity, CRIU config and cgroup, leaving the rest", () => {
    const source = ociSpec(input) as Json;
    const target = restoreSpec(source, {
      containerId: "orders-0-shadow",
      netnsPath: "/var/run/netns/shadow-i101",
      identityDir: "/state/nodes/node-b/instances/orders-0-shadow/identity",
      criuConfig: "/state/criu/restore.conf",
      cpuShares: 64,
      cgroupsPath: instanceCgroup("node-b", "orders-0-shadow"),
    }) as Json;
    expect(target.linux.namespaces).toContainEqual({
      type: "network",
      path: "/var/run/netns/shadow-i101",
    });
    expect(target.linux.cgroupsPath).toBe("/shadow/node-b/orders-0-shadow");
    expect(target.annotations["org.criu.config"]).toBe("/state/criu/restore.conf");
    const identity = target.mounts.find(
      (m: { destination: string }) => m.destination === IDENTITY_DIR,
    );
    expect(identity.source).toBe("/state/nodes/node-b/instances/orders-0-shadow/identity");
    expect(target.process).toEqual(source.process);
    // The copy yields the CPU; the rest of the source's resources stand.
    expect(target.linux.resources.cpu).toEqual({ shares: 64 });
    expect(target.linux.resources.memory).toEqual(source.linux.resources.memory);
    // The source's spec is not touched.
    expect(source.linux.cgroupsPath).toBe("/shadow/node-a/orders-0");
    expect(source.linux.resources.cpu).toEqual({ shares: 1024 });
  });
});

describe("pause measurement", () => {
  const dumpLog = [
    "(00.042189) Running pre-dump scripts",
    "(00.050973) freezing cgroup /sys/fs/cgroup/freezer/shadow/x: 100 x 100ms attempts, timeout: 10s",
    "(00.158120) Running network-unlock scripts",
    "(00.160120) Unfreezing tasks into 1",
  ].join("\n");

  it("adds CRIU's detach after the hook's thaw to the hook's freeze → thaw", () => {
    const times = "freeze 1000.100000 1000.100500\nthaw 1000.190000\nrefrozen 1000.200000\n";
    expect(pauseFromFreezeTimes(times, dumpLog)).toBeCloseTo(90 + 2, 3);
  });

  it("is undefined when the hook did not run", () => {
    expect(pauseFromFreezeTimes("", dumpLog)).toBeUndefined();
    expect(freezeStartFromTimes("")).toBeUndefined();
  });

  it("places the freeze at the hook's start, in ms since the epoch", () => {
    const times = "freeze 1764302400.100000 1764302400.100500\nthaw 1764302400.190000\n";
    expect(freezeStartFromTimes(times)).toBeCloseTo(1764302400100, 0);
  });

  it("reads CRIU's own freeze from its log", () => {
    expect(pauseFromDumpLog(dumpLog)).toBeCloseTo(109.147, 3);
  });
});

describe("instanceNetNames", () => {
  it("derives short unique names from the address (veth names are at most 15 chars)", () => {
    expect(instanceNetNames("10.213.0.254")).toEqual({
      netns: "shadow-i254",
      veth: "vi254",
      address: "10.213.0.254",
    });
  });
});
