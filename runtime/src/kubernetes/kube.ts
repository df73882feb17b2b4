import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";

/** The API clients the adapter uses, on one kubeconfig. */
export interface Kube {
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
}

/** From a kubeconfig file, or the pod's service account when none is named (in-cluster). */
export function connectKube(kubeconfig: string | undefined): Kube {
  const config = new KubeConfig();
  if (kubeconfig) config.loadFromFile(kubeconfig);
  else config.loadFromCluster();
  return { config, core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api) };
}

/** The API server's status code of a failed call (client-node 1.x throws ApiException). */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

export async function ignoreNotFound<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Options that send a patch as a JSON merge patch (client-node sends JSON patches by default). */
export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
