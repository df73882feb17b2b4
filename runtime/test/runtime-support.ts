import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { LocalRuntime } from "../src/local/index.ts";
import { instanceNetNames } from "../src/local/instance-net.ts";
import { isSpareOwner } from "../src/local/spare-net.ts";
import type { Identity, WorkloadSpec } from "../src/types.ts";

/** Helpers of the local runtime's CRIU tests. */

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const workloadEntry = fileURLToPath(
  new URL("./fixtures/stateful-workload.mjs", import.meta.url),
);

export function workloadSpec(env: Record<string, string> = {}): WorkloadSpec {
  return { entry: workloadEntry, memoryBytes: 256 * 2 ** 20, httpPort: 8080, env };
}

export function identity(instance: string, node: string, extra: Partial<Identity> = {}): Identity {
  return { workload: instance, instance, node, role: "primary", incarnation: 0, ...extra };
}

/** What the fixture's GET /state answers. */
export interface WorkloadState {
  counter: number;
  entries: number;
  identity: Identity;
  tcp: { connects: number; connected: boolean; localAddress?: string; sent: number };
  uptimeMs: number;
}

export async function readState(endpoint: string): Promise<WorkloadState> {
  const response = await fetch(`http://${endpoint}/state`, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`GET /state on ${endpoint}: ${response.status}`);
  return (await response.json()) as WorkloadState;
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** A TCP server on the bridge's host address, recording who connected and what they sent. */
export class TcpRecorder {
  readonly connections: { remoteAddress: string; lines: string[]; open: boolean }[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  async start(host = "10.213.0.1"): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      const conn = { remoteAddress: socket.remoteAddress ?? "", lines: [] as string[], open: true };
      this.connections.push(conn);
      let buffer = "";
      socket.setEncoding("utf8");
      socket.on("data", (d: string) => {
        buffer += d;
        const parts = buffer.split("\n");
        buffer = parts.pop() ?? "";
        conn.lines.push(...parts);
      });
      socket.on("close", () => {
        conn.open = false;
        this.sockets.delete(socket);
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, host, resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
  }

  from(address: string) {
    return this.connections.filter((c) => c.remoteAddress === address);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

/** Everything that could be left behind by a failed restore, to compare before and after. */
export interface Footprint {
  containers: string[];
  netns: string[];
  veths: string[];
  instanceDirs: string[];
  addresses: string[];
  scratch: string[];
}

/**
 * The names (address, namespace, veth) of the spare networks (spare-net.ts): built ahead of time
 * by the runtime itself (a checkpoint tops them up), they are no instance's trace.
 */
async function spareNames(runtime: LocalRuntime, into: Set<string>): Promise<void> {
  const dir = runtime.layout.addressesDir;
  for (const address of await readdir(dir).catch(() => [] as string[])) {
    const owner = await readFile(join(dir, address), "utf8").catch(() => "");
    if (!isSpareOwner(owner)) continue;
    const net = instanceNetNames(address);
    for (const name of [net.address, net.netns, net.veth]) into.add(name);
  }
}

export async function footprint(runtime: LocalRuntime): Promise<Footprint> {
  const { layout } = runtime;
  // Read around the listings: a spare finished or discarded meanwhile is still left out.
  const spares = new Set<string>();
  await spareNames(runtime, spares);
  const netnsListed = (await run("ip", ["netns", "list"])).stdout;
  const linksListed = (await run("ip", ["-o", "link", "show"])).stdout;
  const list = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();
  // Listed between the two reads too: a spare claimed after the second would count as a trace.
  const addressesListed = await list(layout.addressesDir);
  await spareNames(runtime, spares);
  const netns = netnsListed
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith("shadow-i") && !spares.has(n));
  const veths = linksListed
    .split("\n")
    .map((l) => l.split(": ")[1]?.split("@")[0] ?? "")
    .filter((n) => /^vi\d+$/.test(n) && !spares.has(n));
  const instanceDirs: string[] = [];
  const scratch: string[] = [];
  for (const node of await list(layout.nodesDir)) {
    instanceDirs.push(...(await list(layout.instancesDir(node))).map((i) => `${node}/${i}`));
    for (const dir of new Set([layout.imagesDir(node), layout.checkpointsDir(node)])) {
      scratch.push(...(await list(dir)).filter((n) => n.startsWith("restore-")));
    }
  }
  return {
    containers: (await runtime.runc.list()).map((c) => c.id).sort(),
    netns: netns.sort(),
    veths: veths.sort(),
    instanceDirs,
    addresses: addressesListed.filter((a) => !spares.has(a)),
    scratch,
  };
}

export async function addNode(name: string, instances: number): Promise<void> {
  await run("bash", [`${repoRoot}/deploy/local/nodes.sh`, "add", name, String(instances)]);
}

export async function removeNode(name: string): Promise<void> {
  await run("bash", [`${repoRoot}/deploy/local/nodes.sh`, "remove", name]);
}
