import { describe, expect, it } from "vitest";
import { RestoreSpecError, restoreSpec } from "./restore-spec.ts";

const dumped = {
  ociVersion: "1.2.0",
  process: { args: ["/usr/local/bin/node", "/opt/shadow/example-service.js"], oomScoreAdj: 1000 },
  root: { path: "rootfs" },
  hooks: { prestart: [{ path: "/bin/true" }] },
  annotations: {
    "org.criu.config": "/source/checkpoint.conf",
    "io.kubernetes.cri.sandbox-name": "w1",
  },
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/run/shadow", type: "bind", source: "/kubelet-a/pods/u1/volumes/identity" },
    { destination: "/etc/hosts", type: "bind", source: "/kubelet-a/pods/u1/etc-hosts" },
  ],
  linux: {
    cgroupsPath: "/kube-a/kubepods/besteffort/podu1/c1",
    namespaces: [
      { type: "pid" },
      { type: "ipc", path: "/proc/10/ns/ipc" },
      { type: "uts", path: "/proc/10/ns/uts" },
      { type: "mount" },
      { type: "network", path: "/proc/10/ns/net" },
    ],
  },
};

const target = {
  rootfs: "/agent/containers/c2/rootfs",
  sandboxPid: 77,
  cgroupParent: "/kube-b/kubepods/besteffort/podu2",
  containerId: "shadow-u2",
  podMounts: [
    { destination: "/proc", type: "proc" },
    { destination: "/etc/hosts", type: "bind", source: "/kubelet-b/pods/u2/etc-hosts" },
  ],
  identityDir: "/agent/containers/c2/identity",
  identityMount: "/run/shadow",
  criuConfig: "/agent/containers/c2/criu.conf",
};

describe("the restore spec", () => {
  it("joins the pod's network, IPC and UTS namespaces and keeps its own mount and PID namespaces", () => {
    expect(restoreSpec(dumped, target).linux.namespaces).toEqual([
      { type: "pid" },
      { type: "ipc", path: "/proc/77/ns/ipc" },
      { type: "uts", path: "/proc/77/ns/uts" },
      { type: "mount" },
      { type: "network", path: "/proc/77/ns/net" },
    ]);
  });

  it("takes the pod's mounts and its own identity, never the source node's paths", () => {
    const spec = restoreSpec(dumped, target);
    expect(spec.mounts).toEqual([
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/run/shadow", type: "bind", source: "/agent/containers/c2/identity" },
      { destination: "/etc/hosts", type: "bind", source: "/kubelet-b/pods/u2/etc-hosts" },
    ]);
    expect(JSON.stringify(spec)).not.toContain("kubelet-a");
  });

  it("runs in a child of the pod's cgroup, from its own root, with the restore's CRIU options", () => {
    const spec = restoreSpec(dumped, target);
    expect(spec.linux.cgroupsPath).toBe("/kube-b/kubepods/besteffort/podu2/shadow-u2");
    expect(spec.root.path).toBe("/agent/containers/c2/rootfs");
    expect(spec.annotations["org.criu.config"]).toBe("/agent/containers/c2/criu.conf");
    expect(spec.process.oomScoreAdj).toBeUndefined();
    expect(spec.hooks).toBeUndefined();
    // The source's spec is not touched.
    expect(dumped.linux.cgroupsPath).toBe("/kube-a/kubepods/besteffort/podu1/c1");
  });

  it("refuses a bind mount the pod does not offer", () => {
    const extra = {
      ...dumped,
      mounts: [
        ...dumped.mounts,
        { destination: "/data", type: "bind", source: "/kubelet-a/pods/u1/volumes/data" },
      ],
    };
    expect(() => restoreSpec(extra, target)).toThrow(RestoreSpecError);
    expect(() => restoreSpec(extra, target)).toThrow(/\/data/);
  });
});
