import { mkdir, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exec, execOk } from "./exec.ts";
import type { Layout } from "./layout.ts";

/**
 * Every instance gets its own network namespace with its own address on the bridge, like a
 * Kubernetes pod IP: two copies of one service (the source and its shadow) can then listen on
 * the same port on the same node. Addresses 10.213.0.100-254 are for instances (1 is the host's
 * gateway, 10-99 are the nodes').
 */
export const SUBNET_PREFIX = "10.213.0.";
const FIRST = 100;
const LAST = 254;

export interface InstanceNet {
  netns: string;
  veth: string;
  address: string;
}

export function netnsPath(netns: string): string {
  return `/var/run/netns/${netns}`;
}

/**
 * Claims a free address (a file per address, created exclusively, so two processes never
 * share one). Addresses are handed out round-robin after the last one claimed, not lowest
 * first: a just-released address would come back at once, and peers that still cache the old
 * instance's MAC for it (ARP) could not reach the new one for seconds.
 */
export async function claimAddress(layout: Layout, owner: string): Promise<string | undefined> {
  await mkdir(layout.addressesDir, { recursive: true });
  const lastFile = join(layout.stateDir, "last-address");
  const last = Number.parseInt(await readFile(lastFile, "utf8").catch(() => ""), 10);
  const start = Number.isFinite(last) && last >= FIRST && last < LAST ? last + 1 : FIRST;
  const size = LAST - FIRST + 1;
  for (let k = 0; k < size; k++) {
    const i = FIRST + ((start - FIRST + k) % size);
    const address = `${SUBNET_PREFIX}${i}`;
    try {
      const handle = await open(join(layout.addressesDir, address), "wx");
      await handle.writeFile(owner);
      await handle.close();
      await writeFile(lastFile, String(i));
      return address;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return undefined;
}

export async function releaseAddress(layout: Layout, address: string): Promise<void> {
  await rm(join(layout.addressesDir, address), { force: true });
}

export async function claimedAddresses(layout: Layout): Promise<string[]> {
  return readdir(layout.addressesDir).catch(() => []);
}

/** Names derived from the address: unique while the address is claimed, and short (veth ≤ 15 chars). */
export function instanceNetNames(address: string): InstanceNet {
  const octet = address.slice(SUBNET_PREFIX.length);
  return { netns: `shadow-i${octet}`, veth: `vi${octet}`, address };
}

export async function createInstanceNet(net: InstanceNet, bridge: string): Promise<void> {
  // Two `ip -batch` runs (host side, then inside the namespace) instead of one process per
  // command: on a busy machine each spawn costs milliseconds, and a restore waits for them.
  // A batch stops at its first failing command, and execOk reports it.
  await execOk("ip", ["-batch", "-"], {
    input: [
      `netns add ${net.netns}`,
      `link add ${net.veth} type veth peer name eth0 netns ${net.netns}`,
      `link set ${net.veth} master ${bridge} up`,
      "",
    ].join("\n"),
  });
  await execOk("ip", ["-n", net.netns, "-batch", "-"], {
    input: ["link set lo up", `addr add ${net.address}/24 dev eth0`, "link set eth0 up", ""].join(
      "\n",
    ),
  });
  // The host may still cache another MAC for this address (an instance removed earlier).
  await exec("ip", ["neigh", "flush", "to", net.address]);
}

/** Removes the namespace and its veth; quiet about parts already gone. */
export async function destroyInstanceNet(net: Pick<InstanceNet, "netns" | "veth">): Promise<void> {
  await exec("ip", ["link", "del", net.veth]);
  await exec("ip", ["netns", "del", net.netns]);
}
