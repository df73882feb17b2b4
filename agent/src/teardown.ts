import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { AgentDeps } from "./deps.ts";
import type { ContainerRecord } from "./records.ts";

/**
 * Removes a restored process and everything it had here: the container (killed if it still
 * runs), its root file system snapshot, bundle, identity and log. Safe to repeat.
 */
export async function teardown(deps: AgentDeps, record: ContainerRecord): Promise<void> {
  await deps.runc.remove(record.id);
  const dir = deps.layout.container(record.id);
  await deps.snapshots
    .unmount(join(dir, "rootfs"))
    .catch((error: unknown) =>
      deps.log.warn(
        { err: error, container: record.id },
        "could not remove a root file system snapshot",
      ),
    );
  await rm(dir, { recursive: true, force: true });
  deps.log.info(
    { container: record.id, pod: record.pod.name, migrationId: record.migrationId },
    "restored process removed",
  );
}
