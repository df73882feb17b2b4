import { type RequestOptions, request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/**
 * Asks a node's kubelet to checkpoint a container, through the API server's node proxy
 * (`POST /api/v1/nodes/<node>/proxy/checkpoint/<ns>/<pod>/<container>?timeout=<s>`, which
 * needs `nodes/proxy` create). The kubelet answers with the archive's path on the node; the
 * container keeps running. client-node's generated proxy call escapes the path's slashes and
 * cannot pass the query, hence a plain HTTPS request with the kubeconfig's credentials.
 */
export async function kubeletCheckpoint(
  config: KubeConfig,
  target: { node: string; namespace: string; pod: string; container: string; timeoutS: number },
): Promise<string> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig names no cluster");
  const path = ["checkpoint", target.namespace, target.pod, target.container]
    .map(encodeURIComponent)
    .join("/");
  const url = new URL(
    `/api/v1/nodes/${encodeURIComponent(target.node)}/proxy/${path}?timeout=${target.timeoutS}`,
    server,
  );
  const options: RequestOptions = {
    method: "POST",
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers: {},
    timeout: (target.timeoutS + 30) * 1000,
  };
  await config.applyToHTTPSOptions(options);
  const { status, body } = await new Promise<{ status: number; body: string }>(
    (resolve, reject) => {
      const req = request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      });
      req.on("timeout", () =>
        req.destroy(new Error("the kubelet's checkpoint did not answer in time")),
      );
      req.on("error", reject);
      req.end();
    },
  );
  if (status !== 200)
    throw new Error(`the kubelet refused the checkpoint (${status}): ${body.trim().slice(0, 500)}`);
  const archive = (JSON.parse(body) as { items?: string[] }).items?.[0];
  if (!archive) throw new Error(`the kubelet's checkpoint named no archive: ${body.slice(0, 200)}`);
  return archive;
}
