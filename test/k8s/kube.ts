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
