import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * CRIU options runc cannot pass on its command line. runc 1.1 hands CRIU the file named by
 * the bundle's `org.criu.config` annotation (read from the source bundle at dump, from the
 * restore bundle at restore).
 *
 * - network-lock nftables: there is no iptables here; CRIU locks the network with nftables.
 * - skip-in-flight: half-open connections to a listening socket are dropped, not dumped
 *   (clients retry them), so a probe arriving during the freeze cannot fail the dump.
 * - tcp-close (restore only): the copy wakes up at a new address, where its established
 *   connections cannot be bound back; they come back closed and its clients reconnect.
 */
const DUMP = ["network-lock nftables", "skip-in-flight"];
const RESTORE = ["network-lock nftables", "tcp-close"];

export interface CriuConfigs {
  dump: string;
  restore: string;
}

export async function writeCriuConfigs(stateDir: string): Promise<CriuConfigs> {
  const dir = join(stateDir, "criu");
  await mkdir(dir, { recursive: true });
  const configs = { dump: join(dir, "dump.conf"), restore: join(dir, "restore.conf") };
  await writeFile(configs.dump, `${DUMP.join("\n")}\n`);
  await writeFile(configs.restore, `${RESTORE.join("\n")}\n`);
  return configs;
}
