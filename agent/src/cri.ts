import { run } from "./exec.ts";

/**
 * A pod's sandbox and one of its containers, as the node's container runtime has them (through
 * crictl, the CRI's own client): where a restored process joins the pod.
 */
export interface PodSandbox {
  id: string;
  /** The sandbox's (pause) process: its namespaces are the pod's. */
  pid: number;
  /** The pod's cgroup (cgroupfs path below the hierarchy roots). */
  cgroupParent: string;
}

export interface SandboxContainer {
  id: string;
  cgroupsPath: string;
  mounts: Array<{ destination: string; source?: string; type?: string; options?: string[] }>;
}

export class Cri {
  constructor(
    private readonly crictl: string,
    private readonly socket: string,
  ) {}

  private call(args: string[]): Promise<string> {
    return run(this.crictl, [
      "--runtime-endpoint",
      `unix://${this.socket}`,
      "--timeout",
      "20s",
      ...args,
    ]);
  }

  /** The ready sandbox of the pod with this uid, or undefined. */
  async sandbox(podUid: string): Promise<PodSandbox | undefined> {
    const ids = (
      await this.call([
        "pods",
        "--label",
        `io.kubernetes.pod.uid=${podUid}`,
        "--state",
        "ready",
        "-q",
      ])
    )
      .split("\n")
      .filter(Boolean);
    const id = ids[0];
    if (!id) return undefined;
    const info = JSON.parse(await this.call(["inspectp", id])) as {
      info?: { pid?: number; runtimeSpec?: { linux?: { cgroupsPath?: string } } };
    };
    const pid = info.info?.pid;
    const cgroupsPath = info.info?.runtimeSpec?.linux?.cgroupsPath;
    if (!pid || !cgroupsPath) throw new Error(`sandbox ${id} reports no pid or cgroup`);
    return { id, pid, cgroupParent: cgroupsPath.slice(0, cgroupsPath.lastIndexOf("/")) };
  }

  /** Whether a sandbox still runs (its pod was not deleted). */
  async sandboxReady(id: string): Promise<boolean> {
    const out = await this.call(["pods", "--id", id, "--state", "ready", "-q"]).catch(() => "");
    return out.trim().length > 0;
  }

  /** The running container of that name in the sandbox, with its mounts. */
  async container(sandboxId: string, name: string): Promise<SandboxContainer | undefined> {
    const ids = (
      await this.call(["ps", "--pod", sandboxId, "--name", `^${name}$`, "--state", "running", "-q"])
    )
      .split("\n")
      .filter(Boolean);
    const id = ids[0];
    if (!id) return undefined;
    const info = JSON.parse(await this.call(["inspect", id])) as {
      info?: {
        runtimeSpec?: { mounts?: SandboxContainer["mounts"]; linux?: { cgroupsPath?: string } };
      };
    };
    return {
      id,
      cgroupsPath: info.info?.runtimeSpec?.linux?.cgroupsPath ?? "",
      mounts: info.info?.runtimeSpec?.mounts ?? [],
    };
  }
}
