import type { ClusterInfo } from "../setup/cluster-info.ts";
import { type Kube, nodeReady, waitFor } from "./kube.ts";
import type { ShadowKube } from "./shadow-install.ts";

/** The Migration resource, as the custom-objects API names it. */
export const MIGRATIONS = { group: "shadow.io", version: "v1alpha1", plural: "migrations" };

/**
 * A kwok fake node of a test's own, Ready, tainted so that only pods tolerating the taint
 * (`fakeNodeToleration`) land on it. Resolves with that toleration.
 */
export async function createFakeNode(kube: Kube, cluster: ClusterInfo, name: string) {
  const [key, value] = Object.entries(cluster.fakeNodeAnnotation)[0] as [string, string];
  await kube.core.createNode({
    body: {
      metadata: { name, annotations: { [key]: value } },
      spec: { taints: [{ key, value, effect: "NoSchedule" }] },
    },
  });
  await waitFor(`fake node ${name} Ready`, 60_000, () => kube.core.readNode({ name }), nodeReady);
  return { key, operator: "Exists", effect: "NoSchedule" };
}

/**
 * Deletes the Migrations a test left (those `labelSelector` selects), their finalizers first:
 * with one, a delete would ask for a rollback that nothing here answers.
 */
export async function removeMigrations(
  kube: ShadowKube,
  namespace: string,
  labelSelector: string,
): Promise<void> {
  const { items } = (await kube.custom
    .listNamespacedCustomObject({ ...MIGRATIONS, namespace, labelSelector })
    .catch(() => ({ items: [] }))) as { items: { metadata: { name: string } }[] };
  for (const { metadata } of items) {
    await kube.custom
      .patchNamespacedCustomObject({
        ...MIGRATIONS,
        namespace,
        name: metadata.name,
        body: [{ op: "remove", path: "/metadata/finalizers" }],
      })
      .catch(() => undefined);
    await kube.custom
      .deleteNamespacedCustomObject({ ...MIGRATIONS, namespace, name: metadata.name })
      .catch(() => undefined);
  }
}
