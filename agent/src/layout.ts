import { join } from "node:path";

/**
 * The agent's state directory. Everything a migration leaves here starts with its prefix, so
 * `release` finds it all, even what a crash left unrecorded:
 *
 *   runc/                          runc's root for the processes this agent restored
 *   dumps/<prefix><name>/          checkpoints in the kubelet's archive layout (process memory!)
 *   images/<prefix><name>/         OCI image layouts built here (encrypted)
 *   received/<prefix>received-<d>/ images delivered here, verified and unpacked
 *   containers/<id>/               a restored process: bundle, rootfs, identity, CRIU config, log
 *   retention/                     what each migration pushed to the registry
 */
export class AgentLayout {
  constructor(readonly root: string) {}

  get runcRoot(): string {
    return join(this.root, "runc");
  }
  get dumps(): string {
    return join(this.root, "dumps");
  }
  get images(): string {
    return join(this.root, "images");
  }
  get receivedDir(): string {
    return join(this.root, "received");
  }
  get containers(): string {
    return join(this.root, "containers");
  }
  get retention(): string {
    return join(this.root, "retention");
  }

  dump(id: string): string {
    return join(this.dumps, id);
  }

  image(id: string): string {
    return join(this.images, id);
  }

  received(migrationId: string, digest: string): string {
    const short = digest.replace(/^sha256:/, "").slice(0, 16);
    return join(this.receivedDir, `${migrationPrefix(migrationId)}received-${short}`);
  }

  container(id: string): string {
    return join(this.containers, id);
  }
}

/** How every name a migration leaves on the node begins. */
export function migrationPrefix(migrationId: string): string {
  return `${cleanName(migrationId)}.`;
}

export function dumpId(migrationId: string, pod: string): string {
  return `${migrationPrefix(migrationId)}${cleanName(pod)}.${Date.now().toString(36)}`;
}

/** The runc id of the process restored into a pod: one per pod. */
export function containerIdFor(podUid: string): string {
  return `shadow-${podUid}`;
}

function cleanName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 40);
}
