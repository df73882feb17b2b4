/**
 * The OCI runtime spec a restored process runs under, made from the one it was checkpointed
 * with (the archive's `spec.dump`) and the pod it is restored into. What changes, and why:
 *
 * - namespaces: network, IPC and UTS are the pod sandbox's (the pause process's), so the copy
 *   has the pod's address; mount and PID namespaces are its own, as CRIU restores them;
 * - mounts: every bind mount takes its source from the pod's container mounted at the same
 *   destination (the pod's volumes, /etc/hosts, resolv.conf, /dev/shm, the termination log),
 *   except the identity directory, which is the copy's own; a bind mount the pod does not
 *   offer is refused: the copy would otherwise see the source node's files;
 * - cgroup: a child of the pod's cgroup, so the kubelet accounts for it, and kills it with
 *   the pod;
 * - the source's CRIU options give way to the restore's; hooks and the OOM score (this
 *   runtime may not set it) are dropped.
 */

export interface RestoreTarget {
  rootfs: string;
  /** The sandbox's pause process: its namespaces are the pod's. */
  sandboxPid: number;
  /** The pod's cgroup; the copy's is a child of it. */
  cgroupParent: string;
  containerId: string;
  /** Mounts of the pod's container whose place the copy takes. */
  podMounts: Array<{ destination: string; source?: string; type?: string }>;
  identityDir: string;
  /** Where the identity file is mounted in the container (its directory). */
  identityMount: string;
  criuConfig: string;
}

export class RestoreSpecError extends Error {
  readonly code = "RESTORE_SPEC";
}

const POD_NAMESPACES: Record<string, string> = { network: "net", ipc: "ipc", uts: "uts" };

// biome-ignore lint/suspicious/noExplicitAny: an OCI runtime spec read back from JSON
type Spec = Record<string, any>;

export function restoreSpec(source: Spec, target: RestoreTarget): Spec {
  const spec = structuredClone(source);
  if (!spec.process || !spec.linux || !Array.isArray(spec.mounts)) {
    throw new RestoreSpecError(
      "spec.dump is not an OCI runtime spec (no process, linux or mounts)",
    );
  }
  spec.root = { ...spec.root, path: target.rootfs };
  spec.linux.namespaces = (spec.linux.namespaces ?? []).map((ns: { type: string }) => {
    const name = POD_NAMESPACES[ns.type];
    return name
      ? { type: ns.type, path: `/proc/${target.sandboxPid}/ns/${name}` }
      : { type: ns.type };
  });
  spec.linux.cgroupsPath = `${target.cgroupParent}/${target.containerId}`;
  delete spec.process.oomScoreAdj;
  delete spec.hooks;
  spec.annotations = { ...spec.annotations, "org.criu.config": target.criuConfig };
  spec.mounts = spec.mounts.map((m: { destination: string; type?: string; source?: string }) => {
    if (m.type !== "bind") return m;
    if (m.destination === target.identityMount) return { ...m, source: target.identityDir };
    const pod = target.podMounts.find((p) => p.destination === m.destination);
    if (!pod?.source) {
      throw new RestoreSpecError(
        `the checkpointed container mounts ${m.destination}, which the pod's container does not: give it the same volume mounts`,
      );
    }
    return { ...m, source: pod.source };
  });
  return spec;
}
