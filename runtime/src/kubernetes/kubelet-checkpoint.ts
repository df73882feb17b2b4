import type { KubeConfig } from "@kubernetes/client-node";
import { nodeProxy } from "./node-proxy.ts";

/**
 * Asks a node's kubelet to checkpoint a container, through the API server's node proxy
 * (`POST /api/v1/nodes/<node>/proxy/checkpoint/<ns>/<pod>/<container>?timeout=<s>`, which
 * needs `nodes/proxy` create). The kubelet answers with the archive's path on the node; the
 * container keeps running.
 */
export async function kubeletCheckpoint(
  config: KubeConfig,
  target: { node: string; namespace: string; pod: string; container: string; timeoutS: number },
): Promise<string> {
  const { status, body } = await nodeProxy(config, {
    method: "POST",
    node: target.node,
    path: ["checkpoint", target.namespace, target.pod, target.container],
    query: `timeout=${target.timeoutS}`,
    timeoutMs: (target.timeoutS + 30) * 1000,
  });
  if (status !== 200)
    throw new Error(`the kubelet refused the checkpoint (${status}): ${body.trim().slice(0, 500)}`);
  const archive = (JSON.parse(body) as { items?: string[] }).items?.[0];
  if (!archive) throw new Error(`the kubelet's checkpoint named no archive: ${body.slice(0, 200)}`);
  return archive;
}
