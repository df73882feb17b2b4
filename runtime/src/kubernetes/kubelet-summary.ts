import type { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import type { NodePressure } from "../types.ts";
import { nodeProxy } from "./node-proxy.ts";

/**
 * What the kubelet's summary API (`GET /api/v1/nodes/<node>/proxy/stats/summary`) says of a
 * node's memory: its working set against what is available (the figure the kubelet's own
 * memory eviction uses), and PSI where the kubelet reports it (KubeletPSI, on cgroup v2 nodes).
 * Only the fields read here are checked.
 */
const psiData = z.object({ avg10: z.number(), avg60: z.number() });
const summarySchema = z.object({
  node: z.object({
    memory: z
      .object({
        availableBytes: z.number().optional(),
        workingSetBytes: z.number().optional(),
        psi: z.object({ some: psiData, full: psiData }).optional(),
      })
      .optional(),
  }),
});
export type KubeletSummary = z.infer<typeof summarySchema>;

export type SummaryPressure = Pick<NodePressure, "memoryUsage" | "memoryPsi" | "memoryPsiAvg10">;

/** The memory figures of a summary, as the runtime port's node pressure carries them. */
export function summaryPressure(summary: KubeletSummary): SummaryPressure {
  const memory = summary.node.memory;
  const pressure: SummaryPressure = {};
  if (memory?.workingSetBytes !== undefined && memory.availableBytes !== undefined) {
    pressure.memoryUsage = {
      usedBytes: memory.workingSetBytes,
      limitBytes: memory.workingSetBytes + memory.availableBytes,
    };
  }
  if (memory?.psi) {
    const { some, full } = memory.psi;
    pressure.memoryPsi = {
      some: { avg10: some.avg10, avg60: some.avg60 },
      full: { avg10: full.avg10, avg60: full.avg60 },
    };
    pressure.memoryPsiAvg10 = some.avg10;
  }
  return pressure;
}

/** Reads a node's summary through the API server (`nodes/proxy` get). */
export async function kubeletSummary(config: KubeConfig, node: string): Promise<KubeletSummary> {
  const { status, body } = await nodeProxy(config, {
    method: "GET",
    node,
    path: ["stats", "summary"],
    timeoutMs: 2_000,
  });
  if (status !== 200) {
    throw new Error(
      `node ${node}'s kubelet refused its summary (${status}): ${body.slice(0, 300)}`,
    );
  }
  return summarySchema.parse(JSON.parse(body));
}

/**
 * The latest summary figures of each node, read again once they are older than `maxAgeMs`
 * (the kubelet itself gathers them every 10 s). A node whose kubelet does not answer has
 * none: the conditions the kubelet sets (MemoryPressure...) still say what they say.
 */
export class NodeSummaries {
  private readonly latest = new Map<string, { at: number; pressure: SummaryPressure }>();
  private readonly reading = new Map<string, Promise<void>>();

  constructor(
    private readonly read: (node: string) => Promise<KubeletSummary>,
    private readonly maxAgeMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The figures of `nodes`, refreshing the ones that are due (side by side). */
  async pressure(nodes: readonly string[]): Promise<Map<string, SummaryPressure>> {
    await Promise.all(nodes.filter((n) => this.due(n)).map((n) => this.refresh(n)));
    const out = new Map<string, SummaryPressure>();
    for (const node of nodes) {
      const known = this.latest.get(node);
      if (known) out.set(node, known.pressure);
    }
    return out;
  }

  private due(node: string): boolean {
    const known = this.latest.get(node);
    return !known || this.now() - known.at >= this.maxAgeMs;
  }

  private refresh(node: string): Promise<void> {
    const inFlight = this.reading.get(node);
    if (inFlight) return inFlight;
    const done = this.read(node)
      .then(
        (summary) => {
          this.latest.set(node, { at: this.now(), pressure: summaryPressure(summary) });
        },
        () => {
          // Unanswered: no figures rather than stale ones, asked again when due.
          this.latest.set(node, { at: this.now(), pressure: {} });
        },
      )
      .finally(() => this.reading.delete(node));
    this.reading.set(node, done);
    return done;
  }
}
