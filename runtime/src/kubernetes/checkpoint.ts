import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { CheckpointError, RuntimeError } from "../errors.ts";
import type { Checkpoint, CheckpointOptions } from "../types.ts";
import type { SourceInfo } from "./agent-protocol.ts";
import type { KubeContext } from "./context.ts";
import { kubeletCheckpoint } from "./kubelet-checkpoint.ts";
import { Annotation, IDENTITY_DIR } from "./labels.ts";
import { identityOf, ownerOf, podRunning, toInstanceInfo, workloadOf } from "./pod-instance.ts";

/**
 * Checkpoints a pod's process. A pod the kubelet runs is dumped by the kubelet (its checkpoint
 * API, through the API server) and its node's agent takes the archive over; a process the agent
 * restored is dumped by that agent (the kubelet does not know it). Refused before anything
 * happens: a pod that is not running, and for a live (shadow) migration a pod without the SDK's
 * identity, whose copy could not tell it is a copy.
 */
export async function checkpointPod(
  ctx: KubeContext,
  instance: string,
  options: CheckpointOptions,
): Promise<Checkpoint> {
  const { migrationId } = options;
  const pod = await ctx.requirePod(instance, migrationId);
  const fail = (message: string, cause?: unknown) =>
    new CheckpointError(instance, message, { migrationId, cause });
  if (!podRunning(pod))
    throw fail(`pod ${instance} is not running (${pod.status?.phase ?? "unknown"})`);
  const identity = identityOf(pod);
  if (options.leaveRunning && !identity) {
    throw new RuntimeError(
      "CANNOT_FENCE",
      `pod ${instance} does not carry the SDK's identity (annotation ${Annotation.identity}): its copy could not tell it is a copy, so it cannot be a shadow; migrate it with strategy "sequential"`,
      false,
      { migrationId },
    );
  }
  if (!options.leaveRunning && ownerOf(pod)) {
    throw new RuntimeError(
      "OWNED_POD",
      `pod ${instance} belongs to a ${ownerOf(pod)?.kind}: stopping it at its checkpoint would have its controller start a fresh one beside the copy`,
      false,
      { migrationId },
    );
  }
  const node = pod.spec?.nodeName ?? "";
  const agent = ctx.agent(node, migrationId);
  const source = sourceOf(pod, identity);
  const ref = { namespace: ctx.namespace, name: instance, uid: pod.metadata?.uid ?? "" };
  let taken: Awaited<ReturnType<typeof agent.checkpoint>>;
  try {
    if (pod.metadata?.annotations?.[Annotation.restoredBy]) {
      taken = await agent.checkpoint({
        migrationId,
        pod: ref,
        leaveRunning: options.leaveRunning,
        source,
      });
    } else {
      const archive = await kubeletCheckpointThawing(ctx, agent, {
        node,
        namespace: ctx.namespace,
        pod: instance,
        container: source.container,
        ref,
      });
      taken = await agent.adoptArchive({
        migrationId,
        archive,
        pod: ref,
        container: source.container,
        source,
      });
      if (!options.leaveRunning) await ctx.deletePod(instance, 0);
    }
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw fail(`checkpoint of ${instance} failed: ${(error as Error).message}`, error);
  }
  return {
    id: taken.id,
    migrationId,
    instance,
    node,
    leftRunning: options.leaveRunning,
    pauseMs: taken.pauseMs,
    frozenAt: taken.frozenAt,
    dumpMs: taken.dumpMs,
    sizeBytes: taken.sizeBytes,
  };
}

/** What a restore needs to rebuild this pod around a copy, and who the copy was. */
export function sourceOf(pod: V1Pod, identity: ReturnType<typeof identityOf>): SourceInfo {
  const containers = pod.spec?.containers ?? [];
  const container: V1Container | undefined =
    containers.find((c) => c.volumeMounts?.some((m) => m.mountPath === IDENTITY_DIR)) ??
    containers[0];
  const info = toInstanceInfo(pod);
  return {
    identity: identity ??
      info?.identity ?? {
        workload: workloadOf(pod) ?? "",
        instance: pod.metadata?.name ?? "",
        node: pod.spec?.nodeName ?? "",
        role: "primary",
        incarnation: 0,
      },
    pod: { name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "" },
    container: container?.name ?? "",
    template: {
      container: JSON.parse(JSON.stringify(container ?? {})),
      volumes: JSON.parse(JSON.stringify(pod.spec?.volumes ?? [])),
      labels: pod.metadata?.labels ?? {},
    },
  };
}

const ATTEMPTS = 3;

/**
 * The kubelet's checkpoint, made safe for a source that must keep serving: whatever the
 * outcome, the container is not left frozen (the node's agent thaws it after a failure), and a
 * freeze that failed (the runtime's "unable to freeze" on a busy node) is tried again.
 */
async function kubeletCheckpointThawing(
  ctx: KubeContext,
  agent: ReturnType<KubeContext["agent"]>,
  t: {
    node: string;
    namespace: string;
    pod: string;
    container: string;
    ref: { namespace: string; name: string; uid: string };
  },
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await kubeletCheckpoint(ctx.kube.config, { ...t, timeoutS: 120 });
    } catch (error) {
      await agent.thaw({ pod: t.ref, container: t.container }).catch(() => undefined);
      if (attempt >= ATTEMPTS || !/unable to freeze/.test((error as Error).message)) throw error;
    }
  }
}
