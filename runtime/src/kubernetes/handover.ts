import type { V1Pod } from "@kubernetes/client-node";
import type { KubeContext } from "./context.ts";
import { mergePatch } from "./kube.ts";
import { Annotation } from "./labels.ts";
import { awaitingRestore, ownerOf, podReady, podRunning, workloadOf } from "./pod-instance.ts";
import { finishOrdinalSwap, prepareOrdinalRestore } from "./statefulset-swap.ts";

/**
 * Removes an instance's pod. When the pod belongs to a controller and a copy restored from it
 * now serves, what the controller owns is handed over first, so it never starts a fresh
 * process beside the copy:
 *
 * - a ReplicaSet's pod (a Deployment's): the copy takes the ReplicaSet's labels and is adopted
 *   (the source made the cheapest to delete), then the source goes: the ReplicaSet counts the
 *   copy as its replica and creates nothing;
 * - a StatefulSet's ordinal pod whose copy is a shadow (round 1 of an identity swap): the set
 *   is told to recreate the ordinal on the copy's node as an empty pod to restore into (see
 *   statefulset-swap.ts), then the source goes;
 * - a shadow whose copy is the recreated ordinal (round 2): the set is put back as it was.
 */
export async function removeInstance(ctx: KubeContext, name: string): Promise<void> {
  const pod = await ctx.pod(name);
  if (!pod) return;
  const successor = successorOf(ctx, name);
  const owner = ownerOf(pod);
  if (successor && owner?.kind === "ReplicaSet") {
    await adoptIntoReplicaSet(ctx, pod, successor, owner.name);
  } else if (successor && owner?.kind === "StatefulSet" && workloadOf(pod) === name) {
    await prepareOrdinalRestore(ctx, pod, successor, owner.name);
  } else if (successor && ownerOf(successor)?.kind === "StatefulSet") {
    await finishOrdinalSwap(ctx, successor, ownerOf(successor)?.name ?? "");
  }
  await ctx.deletePod(name);
}

/** The serving copy restored from `name`, if there is one. */
function successorOf(ctx: KubeContext, name: string): V1Pod | undefined {
  return ctx.pods
    .list(ctx.namespace)
    .find(
      (p) =>
        p.metadata?.name !== name &&
        p.metadata?.annotations?.[Annotation.restoredFrom] === name &&
        podRunning(p) &&
        !awaitingRestore(p),
    );
}

async function adoptIntoReplicaSet(
  ctx: KubeContext,
  source: V1Pod,
  successor: V1Pod,
  replicaSet: string,
): Promise<void> {
  const rs = await ctx.kube.apps.readNamespacedReplicaSet({
    name: replicaSet,
    namespace: ctx.namespace,
  });
  const selector = rs.spec?.selector;
  if (selector?.matchExpressions?.length) {
    throw new Error(
      `ReplicaSet ${replicaSet} selects by expressions: its pods cannot be handed over by labels`,
    );
  }
  const copy = successor.metadata?.name ?? "";
  // Ready first: a ReplicaSet with one pod too many deletes a not-ready one before a ready one.
  await ctx.pods.waitFor(`copy ${copy} Ready`, ctx.config.waitMs, () => {
    const p = ctx.pods.get(copy, ctx.namespace);
    return p && podReady(p) ? p : undefined;
  });
  await ctx.kube.core.patchNamespacedPod(
    {
      name: source.metadata?.name ?? "",
      namespace: ctx.namespace,
      body: { metadata: { annotations: { [Annotation.deletionCost]: String(-(2 ** 31)) } } },
    },
    mergePatch,
  );
  await ctx.kube.core.patchNamespacedPod(
    {
      name: copy,
      namespace: ctx.namespace,
      body: { metadata: { labels: selector?.matchLabels ?? {} } },
    },
    mergePatch,
  );
  // Adopted (the controller set itself as owner) before the source goes, or the ReplicaSet
  // could count zero replicas for a moment and start a fresh pod.
  await ctx.pods.waitFor(`ReplicaSet ${replicaSet} to adopt ${copy}`, ctx.config.waitMs, () =>
    ownerOf(ctx.pods.get(copy, ctx.namespace) ?? {})?.uid === rs.metadata?.uid ? true : undefined,
  );
}
