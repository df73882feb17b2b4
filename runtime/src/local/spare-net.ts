import { access, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  claimAddress,
  claimedAddresses,
  createInstanceNet,
  destroyInstanceNet,
  type InstanceNet,
  instanceNetNames,
  netnsPath,
  releaseAddress,
} from "./instance-net.ts";
import type { Layout } from "./layout.ts";
import { processAlive } from "./process-alive.ts";

/**
 * Instance networks made ahead of time. A namespace with its veth on the bridge and its
 * address up takes three `ip` processes and 30-60 ms, which a restore used to pay on its
 * critical path (between the image being ready and CRIU starting). Namespaces and addresses
 * are not tied to a node here (every node hangs off the same bridge), so one spare serves
 * whichever node places next, and placement takes it instead of building one.
 *
 * A spare is an address file whose owner reads `spare`. While it is being built the owner is
 * `spare-pending:<pid>`; a pending spare whose process is gone is torn down by the next
 * `ensureSpareNet`. Takers hold the placement lock, so two placements never take the same one.
 */
const SPARE = "spare";
const PENDING = "spare-pending:";

/** Whether an address file's owner is a spare network, ready or being built. */
export function isSpareOwner(owner: string): boolean {
  return owner === SPARE || owner.startsWith(PENDING);
}

async function ownerOf(layout: Layout, address: string): Promise<string> {
  return readFile(join(layout.addressesDir, address), "utf8").catch(() => "");
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function discard(layout: Layout, net: InstanceNet): Promise<void> {
  await destroyInstanceNet(net);
  await releaseAddress(layout, net.address);
}

/**
 * Hands a ready spare to `owner` (call under the placement lock). A spare whose namespace or
 * veth has gone (a host cleanup, a reboot) is discarded, and the next one tried.
 */
export async function takeSpareNet(
  layout: Layout,
  owner: string,
): Promise<InstanceNet | undefined> {
  for (const address of await claimedAddresses(layout)) {
    if ((await ownerOf(layout, address)) !== SPARE) continue;
    const net = instanceNetNames(address);
    const intact =
      (await exists(netnsPath(net.netns))) && (await exists(`/sys/class/net/${net.veth}`));
    if (!intact) {
      await discard(layout, net);
      continue;
    }
    await writeFile(join(layout.addressesDir, address), owner);
    return net;
  }
  return undefined;
}

/** Builds spares until `count` are ready (or being built by a live process). */
export async function ensureSpareNet(layout: Layout, bridge: string, count = 1): Promise<number> {
  let ready = 0;
  for (const address of await claimedAddresses(layout)) {
    const owner = await ownerOf(layout, address);
    if (owner === SPARE) ready += 1;
    else if (owner.startsWith(PENDING)) {
      const pid = Number(owner.slice(PENDING.length));
      if (processAlive(pid)) ready += 1;
      else await discard(layout, instanceNetNames(address));
    }
  }
  let built = 0;
  for (; ready + built < count; built++) {
    const address = await claimAddress(layout, `${PENDING}${process.pid}`);
    if (!address) break;
    const net = instanceNetNames(address);
    try {
      await createInstanceNet(net, bridge);
    } catch (error) {
      await discard(layout, net);
      throw error;
    }
    // Takeable only now that it is whole.
    await writeFile(join(layout.addressesDir, address), SPARE);
  }
  return built;
}
