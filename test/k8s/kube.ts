import { type RequestOptions, request } from "node:https";
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Node, type V1Pod } from "@kubernetes/client-node";

/** The API clients the cluster tests use, on the cluster's admin kubeconfig. */
export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
}

export function connect(kubeconfigPath: string): Kube {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return { config, core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api) };
}

/**
 * Reads until `done` holds and returns that value; after `timeoutMs` fails with `what` and
 * the last value read (or the last error), so a test failure says where things stood.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  while (Date.now() < deadline) {
    try {
      const value = await read();
      if (done(value)) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const seen = last && "value" in last ? JSON.stringify(last.value)?.slice(0, 2000) : last?.error;
  throw new Error(`${what}: not after ${timeoutMs} ms; last seen: ${seen}`);
}

export function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

export function nodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

export function internalIp(node: V1Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
}

/**
 * POSTs to a node's kubelet through the API server's node proxy
 * (`/api/v1/nodes/<node>/proxy/<path>`): how a checkpoint is asked for. The generated client's
 * proxy call escapes the path's slashes and cannot pass the kubelet's query, hence a plain
 * HTTPS request with the kubeconfig's credentials.
 */
export async function postNodeProxy(
  kube: Kube,
  node: string,
  pathAndQuery: string,
): Promise<{ status: number; body: string }> {
  const server = kube.config.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig names no cluster");
  const url = new URL(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/${pathAndQuery}`, server);
  const options: RequestOptions = {
    method: "POST",
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers: {},
  };
  await kube.config.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
