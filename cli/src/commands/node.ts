import { setTimeout as sleep } from "node:timers/promises";
import { optOutOf } from "@shadow/pressure-svc";
import type { InstanceInfo, NodeInfo, Runtime } from "@shadow/runtime";

const MiB = 2 ** 20;

/**
 * `shadow node list|cordon|uncordon|drain <node>`, through the runtime port. A cordoned node
 * takes no new instance; a draining one is emptied by pressure-svc, one workload at a time, and
 * `drain` waits (unless `--no-wait`) until no workload that may move is left on it, printing
 * each one as it goes, as `kubectl drain` does.
 */
export async function node(
  runtime: Pick<Runtime, "nodes" | "list" | "markNode">,
  action: string,
  name: string | undefined,
  options: { wait: boolean; timeoutMs: number; intervalMs?: number },
  out: (line: string) => void,
): Promise<number> {
  if (action === "list") {
    for (const n of await runtime.nodes()) out(describe(n));
    return 0;
  }
  if (!name) throw new Error(`node ${action} needs a node name`);
  switch (action) {
    case "cordon":
      out(describe(await runtime.markNode(name, { cordoned: true })));
      return 0;
    case "uncordon":
      out(describe(await runtime.markNode(name, { cordoned: false, draining: false })));
      return 0;
    case "drain": {
      out(describe(await runtime.markNode(name, { draining: true })));
      if (!options.wait) return 0;
      return (await waitForDrain(runtime, name, options, out)) ? 0 : 1;
    }
    default:
      throw new Error(`unknown node action ${action} (list, cordon, uncordon, drain)`);
  }
}

/** Until no instance of a workload that may move is left on the node; false on timeout. */
async function waitForDrain(
  runtime: Pick<Runtime, "list">,
  name: string,
  options: { timeoutMs: number; intervalMs?: number },
  out: (line: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  let last = "";
  for (;;) {
    // Instances are made and removed all through a drain: a listing caught in between (runc
    // naming a container whose state is half gone) fails, and is asked again next time.
    const all = await runtime.list().catch((error: unknown) => {
      if (Date.now() > deadline) throw error;
      return undefined;
    });
    if (!all) {
      await sleep(options.intervalMs ?? 1_000);
      continue;
    }
    const on = all.filter((i) => i.node === name);
    const moving = on.filter((i) => !optOutOf(i.labels ?? {}));
    const staying = on.filter((i) => optOutOf(i.labels ?? {}));
    const line =
      moving.length === 0
        ? `${name} drained${staying.length > 0 ? `; staying (opted out): ${names(staying)}` : ""}`
        : `${name}: ${moving.length} instance(s) to leave: ${names(moving)}`;
    if (line !== last) out(line);
    last = line;
    if (moving.length === 0) return true;
    if (Date.now() > deadline) {
      out(`${name} not drained within ${Math.round(options.timeoutMs / 1000)} s`);
      return false;
    }
    await sleep(options.intervalMs ?? 1_000);
  }
}

function names(instances: InstanceInfo[]): string {
  return instances
    .map((i) => i.instance)
    .sort()
    .join(", ");
}

function describe(n: NodeInfo): string {
  const marks = [
    n.pressure.draining ? "draining" : n.pressure.cordoned ? "cordoned" : "schedulable",
  ];
  const mem = n.pressure.memoryUsage;
  const psi = n.pressure.memoryPsi;
  return [
    n.name,
    marks.join(","),
    `instances ${n.allocated.instances}/${n.capacity.instances}`,
    mem
      ? `memory ${Math.round((100 * mem.usedBytes) / mem.limitBytes)}% of ${Math.round(mem.limitBytes / MiB)} MiB`
      : "memory -",
    psi
      ? `psi some ${psi.some.avg10}/${psi.some.avg60} full ${psi.full.avg10}/${psi.full.avg60}`
      : "",
  ]
    .filter(Boolean)
    .join("  ");
}
