import type { V1Container, V1Pod, V1StatefulSet, V1Volume } from "@kubernetes/client-node";
import type { KubeContext } from "./context.ts";
import { mergePatch } from "./kube.ts";
import { Annotation, IDENTITY_DIR, Label } from "./labels.ts";
import { ObjectWatch } from "./object-watch.ts";
import { placeholderSpec } from "./pod-specs.ts";
import { updateStatefulSet } from "./statefulset-update.ts";

/**
 * The StatefulSet side of an identity swap. The shadow serves while the ordinal name is free;
 * the set's controller must recreate the ordinal pod on the target as a pod to restore the
 * shadow's fresh checkpoint into, not start the workload afresh. So, before the source goes
 * (round 1's drain):
 *
 * 1. the set's update strategy becomes OnDelete (no pod is rolled by what follows), and its
 *    template a placeholder of the same shape pinned to the shadow's node and marked as this
 *    migration's restore target; what to put back is kept in an annotation on the set;
 * 2. once the controller has seen that, the source is deleted and the controller recreates the
 *    ordinal from it: an empty pod on the target, owned by the set.
 *
 * Round 2 restores into that pod. When the shadow goes (round 2's drain), the template and the
 * strategy are put back, the pod is labelled with the original revision (so a rolling update
 * never replaces it), and the revision the placeholder template left is deleted: replicas,
 * ownership, partition and template are as they were.
 */
interface SwapRecord {
  migrationId: string;
  revision: string;
  template: V1StatefulSet["spec"] extends infer S
    ? S extends { template: infer T }
      ? T
      : never
    : never;
  updateStrategy: NonNullable<V1StatefulSet["spec"]>["updateStrategy"];
  /** The revision the placeholder template made, noted when the template is put back. */
  placeholderRevision?: string;
}

function swapRecord(set: V1StatefulSet): SwapRecord | undefined {
  const text = set.metadata?.annotations?.[Annotation.swap];
  return text ? (JSON.parse(text) as SwapRecord) : undefined;
}

function withRecord(set: V1StatefulSet, record: SwapRecord | undefined): V1StatefulSet["metadata"] {
  const annotations = { ...set.metadata?.annotations };
  if (record) annotations[Annotation.swap] = JSON.stringify(record);
  else delete annotations[Annotation.swap];
  return { ...set.metadata, annotations };
}

export async function prepareOrdinalRestore(
  ctx: KubeContext,
  source: V1Pod,
  shadow: V1Pod,
  setName: string,
): Promise<void> {
  const migrationId = shadow.metadata?.labels?.[Label.migration] ?? "";
  const replaced = await updateStatefulSet(ctx, setName, (set) => {
    const spec = set.spec;
    if (!spec) throw new Error(`StatefulSet ${setName} has no spec`);
    if (swapRecord(set)) return undefined; // prepared already (a replay)
    const record: SwapRecord = {
      migrationId,
      revision:
        source.metadata?.labels?.[Label.controllerRevision] ?? set.status?.updateRevision ?? "",
      template: spec.template,
      updateStrategy: spec.updateStrategy,
    };
    const containers = spec.template.spec?.containers ?? [];
    const workload: V1Container | undefined =
      containers.find((c) => c.volumeMounts?.some((m) => m.mountPath === IDENTITY_DIR)) ??
      containers[0];
    if (!workload) throw new Error(`StatefulSet ${setName}'s template has no container`);
    const mounts = (workload.volumeMounts ?? []).filter((m) => m.mountPath !== IDENTITY_DIR);
    const used = new Set(mounts.map((m) => m.name));
    const volumes = (spec.template.spec?.volumes ?? []).filter((v: V1Volume) => used.has(v.name));
    return {
      ...set,
      metadata: withRecord(set, record),
      spec: {
        ...spec,
        updateStrategy: { type: "OnDelete" },
        template: {
          metadata: {
            ...spec.template.metadata,
            labels: { ...spec.template.metadata?.labels, [Label.migration]: migrationId },
            annotations: {
              ...spec.template.metadata?.annotations,
              [Annotation.restoreTarget]: migrationId,
            },
          },
          spec: placeholderSpec(ctx.config, shadow.spec?.nodeName ?? "", workload, mounts, volumes),
        },
      },
    };
  });
  await observed(
    ctx,
    setName,
    (replaced ?? (await readSet(ctx, setName))).metadata?.generation ?? 0,
  );
}

/**
 * Puts the set back in three steps, each safe to run again: the template (still OnDelete,
 * so nothing is rolled while the pod is relabelled), the pod's labels, then the strategy. The
 * swap record stays on the set until that last step, so a step that failed or a replay of the
 * drain finds it and finishes the work; a set without it is done.
 */
export async function finishOrdinalSwap(
  ctx: KubeContext,
  ordinal: V1Pod,
  setName: string,
): Promise<void> {
  let record: SwapRecord | undefined;
  const back = await updateStatefulSet(ctx, setName, (set) => {
    const current = swapRecord(set);
    record = current;
    if (!current || !set.spec) return undefined;
    const updateRevision = set.status?.updateRevision;
    const placeholderRevision =
      current.placeholderRevision ??
      (updateRevision && updateRevision !== current.revision ? updateRevision : undefined);
    return {
      ...set,
      metadata: withRecord(set, {
        ...current,
        ...(placeholderRevision ? { placeholderRevision } : {}),
      }),
      spec: { ...set.spec, template: current.template },
    };
  });
  if (!back || !record) return;
  await observed(ctx, setName, back.metadata?.generation ?? 0);
  const labels: Record<string, string | null> = {
    [Label.controllerRevision]: record.revision,
    [Label.migration]: null,
  };
  await ctx.kube.core.patchNamespacedPod(
    {
      name: ordinal.metadata?.name ?? "",
      namespace: ctx.namespace,
      body: { metadata: { labels } },
    },
    mergePatch,
  );
  let placeholderRevision: string | undefined;
  await updateStatefulSet(ctx, setName, (set) => {
    const current = swapRecord(set);
    if (!current || !set.spec) return undefined;
    placeholderRevision = current.placeholderRevision;
    return {
      ...set,
      metadata: withRecord(set, undefined),
      spec: { ...set.spec, updateStrategy: current.updateStrategy },
    };
  });
  if (placeholderRevision && placeholderRevision !== record.revision) {
    await ctx.kube.apps
      .deleteNamespacedControllerRevision({ name: placeholderRevision, namespace: ctx.namespace })
      .catch(() => undefined);
  }
}

function readSet(ctx: KubeContext, name: string): Promise<V1StatefulSet> {
  return ctx.kube.apps.readNamespacedStatefulSet({ name, namespace: ctx.namespace });
}

/** Until the controller has acted on the set's generation `generation` (watched). */
async function observed(ctx: KubeContext, name: string, generation: number): Promise<void> {
  const { namespace } = ctx;
  const sets = new ObjectWatch<V1StatefulSet>(
    ctx.kube.config,
    `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
    () => ctx.kube.apps.listNamespacedStatefulSet({ namespace }),
  );
  await sets.start();
  try {
    await sets.waitFor(`StatefulSet ${name} generation ${generation} observed`, 30_000, () =>
      (sets.get(name, namespace)?.status?.observedGeneration ?? 0) >= generation ? true : undefined,
    );
  } finally {
    await sets.stop();
  }
}
