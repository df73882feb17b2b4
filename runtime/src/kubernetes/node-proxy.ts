import { type RequestOptions, request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/**
 * A request to a node's kubelet through the API server's node proxy
 * (`/api/v1/nodes/<node>/proxy/<path>`), with the kubeconfig's credentials. client-node's
 * generated proxy call escapes the path's slashes and cannot pass a query, hence plain HTTPS.
 * Resolves with the kubelet's status and body, whatever the status.
 */
export async function nodeProxy(
  config: KubeConfig,
  call: { method: "GET" | "POST"; node: string; path: string[]; query?: string; timeoutMs: number },
): Promise<{ status: number; body: string }> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig names no cluster");
  const path = call.path.map(encodeURIComponent).join("/");
  const url = new URL(
    `/api/v1/nodes/${encodeURIComponent(call.node)}/proxy/${path}${call.query ? `?${call.query}` : ""}`,
    server,
  );
  const options: RequestOptions = {
    method: call.method,
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers: {},
    timeout: call.timeoutMs,
  };
  await config.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () =>
      req.destroy(new Error(`node ${call.node}'s kubelet did not answer ${path} in time`)),
    );
    req.on("error", reject);
    req.end();
  });
}
