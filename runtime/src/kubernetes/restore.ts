import type { V1Pod } from "@kubernetes/client-node";
import { InstanceExistsError, PreflightError, RestoreError, RuntimeError } from "../errors.ts";
import type { CheckpointImage, RestoredInstance, RestoreOptions } from "../types.ts";
import type { SourceInfo } from "./agent-protocol.ts";
import type { KubeContext } from "./context.ts";
import { mergePatch } from "./kube.ts";
import { Annotation, PLACEHOLDER_CONTAINER } from "./labels.ts";
import { nativeRestore, nodeReady } from "./nodes.ts";
import { awaitingRestore, toInstanceInfo } from "./pod-instance.ts";
import { restorePod } from "./pod-specs.ts";

/** How long the pod watch may take to show a patch this process made (seconds, at worst). */
const WATCH_CATCH_UP_MS = 30_000;
/**
 * Whether the target can restore the image: a known, Ready node whose agent finds its CRIU,
 * kernel, CPU, memory and disk enough (read from the manifest alone). Returns what the image
 * says its source was.
 */
export async function preflightOn(
  ctx: KubeContext,
  image: CheckpointImage,
  target: string,
  migrationId: string,
): Promise<SourceInfo> {
  const node = ctx.node(target, migrationId);
  if (!nodeReady(node)) throw new PreflightError([`node ${target} is not Ready`], { migrationId });
  const native = nativeRestore(node);
  if (native.enabled) {
    // Detected, and said; the restore still goes through the agent, which works everywhere.
    console.warn(`node ${target} (${native.runtime}) can restore checkpoint images itself`);
  }
  const answer = await ctx
    .agent(target, migrationId)
    .preflight({ migrationId, image: { ref: image.ref, digest: image.digest } });
  if (answer.reasons.length > 0) throw new PreflightError(answer.reasons, { migrationId });
  if (!answer.source)
    throw new PreflightError(["the image does not say what its source pod was"], { migrationId });
  return answer.source;
}

/**
 * Restores the image as a pod on the target: a pod of the source's shape (made here, or the
 * one a StatefulSet recreated as a restore target) whose sandbox the kubelet builds, then the
 * node's agent restores the process into it. Nothing is made before the preflight passed; the
 * pod made here is deleted again when anything after fails.
 */
export async function restoreIntoPod(
  ctx: KubeContext,
  image: CheckpointImage,
  target: string,
  options: RestoreOptions,
): Promise<RestoredInstance> {
  const started = performance.now();
  const { migrationId } = options;
  const source = await preflightOn(ctx, image, target, migrationId);
  const preflightMs = performance.now() - started;
  const identity = {
    ...options.identity,
    node: target,
    incarnation: raised(options.identity.incarnation, source.identity.incarnation),
    migrationId,
  };
  const name = options.identity.instance;
  const existing = await ctx.pod(name);
  let made = false;
  if (
    existing &&
    !(
      awaitingRestore(existing) &&
      existing.metadata?.annotations?.[Annotation.restoreTarget] === migrationId
    )
  ) {
    throw new InstanceExistsError(name, { migrationId });
  }
  if (existing) {
    // As on a pod made here: the drain of its source finds its successor by this annotation.
    await patchAnnotations(ctx, name, {
      [Annotation.identity]: JSON.stringify(identity),
      [Annotation.restoredFrom]: source.pod.name,
    });
  } else {
    await ctx.kube.core.createNamespacedPod({
      namespace: ctx.namespace,
      body: restorePod({ config: ctx.config, name, node: target, migrationId, identity, source }),
    });
    made = true;
  }
  try {
    const pod = await ctx.pods.waitFor(`pod ${name} started on ${target}`, ctx.config.waitMs, () =>
      placeholderStarted(ctx.pods.get(name, ctx.namespace), target),
    );
    const placeMs = performance.now() - started - preflightMs;
    const restored = await ctx.agent(target, migrationId).restore({
      migrationId,
      image: { ref: image.ref, digest: image.digest },
      pod: { namespace: ctx.namespace, name, uid: pod.metadata?.uid ?? "" },
      container: PLACEHOLDER_CONTAINER,
      identity,
    });
    const patched = await patchAnnotations(ctx, name, { [Annotation.restoredBy]: "agent" });
    // This process reads pods from its watch, which may not have the patch yet: the catch-up
    // watch asks for the copy the moment this returns, and a pod still awaiting its restore
    // reads as no instance at all (the copy "gone"). Returns once the watch has caught up.
    await ctx.pods.waitFor(`pod ${name} restored, as the watch sees it`, WATCH_CATCH_UP_MS, () => {
      const seen = ctx.pods.get(name, ctx.namespace);
      return seen && !awaitingRestore(seen) ? true : undefined;
    });
    const info = toInstanceInfo(patched);
    if (!info) throw new Error(`pod ${name} is not an instance`);
    return {
      ...info,
      pid: restored.pid,
      restoreMs: performance.now() - started,
      breakdown: {
        preflightMs,
        pullMs: restored.breakdown.pullMs,
        placeMs: placeMs + restored.breakdown.placeMs,
        criuMs: restored.breakdown.criuMs,
      },
    };
  } catch (error) {
    if (made) await ctx.deletePod(name, 0).catch(() => undefined);
    if (error instanceof RuntimeError) throw error;
    throw new RestoreError(
      target,
      `restore of ${name} on ${target} failed: ${(error as Error).message}`,
      {
        migrationId,
        cause: error,
      },
    );
  }
}

/**
 * The pod once its placeholder runs on `target` (its sandbox, IP and volumes are there);
 * throws when it cannot get there (unschedulable, or scheduled elsewhere).
 */
function placeholderStarted(pod: V1Pod | undefined, target: string): V1Pod | undefined {
  if (!pod) return undefined;
  const unschedulable = pod.status?.conditions?.find(
    (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable",
  );
  if (unschedulable)
    throw new Error(`pod ${pod.metadata?.name} cannot be scheduled: ${unschedulable.message}`);
  if (pod.spec?.nodeName && pod.spec.nodeName !== target) {
    throw new Error(`pod ${pod.metadata?.name} was placed on ${pod.spec.nodeName}, not ${target}`);
  }
  const running = pod.status?.containerStatuses?.find((c) => c.name === PLACEHOLDER_CONTAINER)
    ?.state?.running;
  return running && pod.status?.podIP ? pod : undefined;
}

export async function patchAnnotations(
  ctx: KubeContext,
  name: string,
  annotations: Record<string, string | null>,
): Promise<V1Pod> {
  return ctx.kube.core.patchNamespacedPod(
    { name, namespace: ctx.namespace, body: { metadata: { annotations } } },
    mergePatch,
  );
}

/** An incarnation past the source's: a copy never shares its source's consumer groups. */
function raised(wanted: number, source: string | number): number {
  return Math.max(
    wanted,
    (typeof source === "number" ? source : Number.parseInt(source, 10) || 0) + 1,
  );
}
