import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { RunError, RuntimeError } from "../errors.ts";
import type {
  BuildImageOptions,
  Checkpoint,
  CheckpointImage,
  CheckpointOptions,
  CpuPriority,
  Identity,
  InstanceInfo,
  NodeInfo,
  NodeMarks,
  RestoredInstance,
  RestoreOptions,
  Runtime,
  RuntimeFeatures,
  WorkloadSpec,
} from "../types.ts";
import { checkpointPod } from "./checkpoint.ts";
import { type KubernetesRuntimeConfig, loadKubernetesRuntimeConfig } from "./config.ts";
import { KubeContext } from "./context.ts";
import { removeInstance } from "./handover.ts";
import { connectKube } from "./kube.ts";
import { Annotation, Label, WORKLOAD_CONTAINER } from "./labels.ts";
import { markNode } from "./node-marks.ts";
import { nodeReady, toNodeInfo } from "./nodes.ts";
import { ObjectWatch } from "./object-watch.ts";
import { awaitingRestore, toInstanceInfo } from "./pod-instance.ts";
import { workloadPod } from "./pod-specs.ts";
import { patchAnnotations, preflightOn, restoreIntoPod } from "./restore.ts";

/**
 * The kubernetes adapter of the runtime port: instances are pods of one namespace that carry
 * the `shadow.io/workload` label; checkpoints go through the kubelet's checkpoint API (the API
 * server's node proxy); images and restores through the node agent of each node, which restores
 * into a pod sandbox the kubelet made. Pods and nodes are watched (informers), never polled.
 *
 * @example
 * const runtime = await createKubernetesRuntime(); // config from SHADOW_KUBECONFIG, SHADOW_K8S_*
 * const cp = await runtime.checkpoint("orders-0", { leaveRunning: true, migrationId: "m-1" });
 * const image = await runtime.buildImage(cp, "kube-b");
 * await runtime.restore(image, "kube-b", { migrationId: "m-1", identity });
 */
export async function createKubernetesRuntime(
  config: KubernetesRuntimeConfig = loadKubernetesRuntimeConfig(),
): Promise<KubernetesRuntime> {
  const kube = connectKube(config.kubeconfig);
  const { namespace } = config;
  const pods = new ObjectWatch<V1Pod>(
    kube.config,
    `/api/v1/namespaces/${namespace}/pods`,
    () => kube.core.listNamespacedPod({ namespace, labelSelector: Label.workload }),
    Label.workload,
  );
  const nodes = new ObjectWatch<V1Node>(kube.config, "/api/v1/nodes", () => kube.core.listNode());
  await Promise.all([pods.start(), nodes.start()]);
  return new KubernetesRuntime(new KubeContext(config, kube, pods, nodes));
}

export class KubernetesRuntime implements Runtime {
  constructor(readonly ctx: KubeContext) {}

  /** Stops the watches (a process that is done with the runtime). */
  async close(): Promise<void> {
    await Promise.all([this.ctx.pods.stop(), this.ctx.nodes.stop()]);
  }

  async nodes(): Promise<NodeInfo[]> {
    const pods = this.ctx.pods.list(this.ctx.namespace);
    const nodes = this.ctx.nodes.list();
    // Only a Ready node with a real kubelet has a summary to give (kwok's fake nodes have none).
    const summaries = await this.ctx.summaries.pressure(
      nodes
        .filter((n) => nodeReady(n) && !n.metadata?.annotations?.["kwok.x-k8s.io/node"])
        .map((n) => n.metadata?.name ?? ""),
    );
    return nodes.map((n) => toNodeInfo(n, pods, summaries.get(n.metadata?.name ?? "")));
  }

  async markNode(node: string, marks: NodeMarks): Promise<NodeInfo> {
    const marked = await markNode(this.ctx, node, marks);
    return toNodeInfo(marked, this.ctx.pods.list(this.ctx.namespace));
  }

  /**
   * Nothing to archive: on Kubernetes a checkpoint is the kubelet's archive, and its image is
   * built and pushed on the critical path (no streamed transfer here).
   */
  async archiveImages(_migrationId: string): Promise<CheckpointImage[]> {
    return [];
  }

  async features(): Promise<RuntimeFeatures> {
    const ready = this.ctx.nodes.list().find(nodeReady);
    const info = ready?.status?.nodeInfo;
    // Iterative pre-dump and post-copy are not offered through the kubelet's checkpoint API.
    return {
      criuVersion: "unknown",
      kernel: info?.kernelVersion ?? "unknown",
      preDump: false,
      lazyPages: false,
    };
  }

  async run(spec: WorkloadSpec, identity: Identity): Promise<InstanceInfo> {
    this.ctx.node(identity.node, identity.migrationId);
    const name = identity.instance;
    try {
      await this.ctx.kube.core.createNamespacedPod({
        namespace: this.ctx.namespace,
        body: workloadPod(this.ctx.config, spec, identity),
      });
      const pod = await this.ctx.pods.waitFor(
        `pod ${name} running on ${identity.node}`,
        this.ctx.config.waitMs,
        () => {
          const p = this.ctx.pods.get(name, this.ctx.namespace);
          const running = p?.status?.containerStatuses?.find((c) => c.name === WORKLOAD_CONTAINER)
            ?.state?.running;
          if (p?.status?.phase === "Failed")
            throw new Error(`pod ${name} failed: ${p.status.message ?? ""}`);
          return running && p?.status?.podIP ? p : undefined;
        },
      );
      return toInstanceInfo(pod) as InstanceInfo;
    } catch (error) {
      await this.ctx.deletePod(name, 0).catch(() => undefined);
      throw new RunError(name, `starting pod ${name} failed: ${(error as Error).message}`, {
        cause: error,
        migrationId: identity.migrationId,
      });
    }
  }

  /**
   * A pod made to receive a restore (a StatefulSet's recreated ordinal) is no instance until
   * the restore ran in it: reporting it would tell the restore that its copy is already there.
   */
  async inspect(instance: string): Promise<InstanceInfo | undefined> {
    const pod = await this.ctx.pod(instance);
    return pod && !awaitingRestore(pod) ? toInstanceInfo(pod) : undefined;
  }

  async list(): Promise<InstanceInfo[]> {
    return this.ctx.pods
      .list(this.ctx.namespace)
      .filter((pod) => !awaitingRestore(pod))
      .map(toInstanceInfo)
      .filter((i): i is InstanceInfo => i !== undefined);
  }

  checkpoint(instance: string, options: CheckpointOptions): Promise<Checkpoint> {
    return checkpointPod(this.ctx, instance, options);
  }

  async buildImage(
    checkpoint: Checkpoint,
    targetNode: string,
    _options: BuildImageOptions = {},
  ): Promise<CheckpointImage> {
    const { migrationId } = checkpoint;
    const target = this.ctx.agent(targetNode, migrationId);
    const built = await this.ctx.agent(checkpoint.node, migrationId).buildImage({
      migrationId,
      checkpointId: checkpoint.id,
      targetNode,
    });
    if (built.transfer === "same-node") return built;
    // The target takes delivery now, verified and unpacked, as a kubelet pulls an image it is
    // about to run: the restore then finds it on the node's disk.
    const started = performance.now();
    await target.pull({ migrationId, image: { ref: built.ref, digest: built.digest } });
    return { ...built, transferMs: built.transferMs + (performance.now() - started) };
  }

  async preflight(
    image: CheckpointImage,
    targetNode: string,
    migrationId = "preflight",
  ): Promise<void> {
    await preflightOn(this.ctx, image, targetNode, migrationId);
  }

  restore(
    image: CheckpointImage,
    targetNode: string,
    options: RestoreOptions,
  ): Promise<RestoredInstance> {
    return restoreIntoPod(this.ctx, image, targetNode, options);
  }

  /**
   * A process the agent restored is slowed by its agent (a CFS quota on its cgroup), and so is
   * a kubelet's container (on its own container cgroup, below the pod's, whose limits stay the
   * kubelet's). Lifting it removes the cap.
   */
  async limitCpu(instance: string, cores: number | undefined): Promise<void> {
    const pod = await this.ctx.requirePod(instance);
    const restored = pod.metadata?.annotations?.[Annotation.restoredBy] !== undefined;
    await this.ctx.agent(pod.spec?.nodeName ?? "").cpu({
      pod: this.podRef(pod),
      ...(restored ? {} : { container: WORKLOAD_CONTAINER }),
      ...(cores === undefined
        ? { quotaUs: -1 }
        : { quotaUs: Math.max(1000, Math.round(cores * 100_000)) }),
    });
  }

  async setCpuPriority(instance: string, priority: CpuPriority): Promise<void> {
    const pod = await this.ctx.requirePod(instance);
    // Only a restored process has a weight of its own; a kubelet's container has its pod's.
    if (!pod.metadata?.annotations?.[Annotation.restoredBy]) return;
    await this.ctx.agent(pod.spec?.nodeName ?? "").cpu({
      pod: this.podRef(pod),
      shares: priority === "shadow" ? 2 : 1024,
    });
  }

  async setIdentity(instance: string, identity: Identity): Promise<void> {
    const pod = await this.ctx.requirePod(instance, identity.migrationId);
    const node = pod.spec?.nodeName ?? "";
    const updated = { ...identity, node };
    await patchAnnotations(this.ctx, instance, { [Annotation.identity]: JSON.stringify(updated) });
    if (pod.metadata?.annotations?.[Annotation.restoredBy]) {
      await this.ctx
        .agent(node, identity.migrationId)
        .setIdentity({ pod: this.podRef(pod), identity: updated });
    }
  }

  /** Deletes the pod (its process with it); the pod's controller, if any, may start another. */
  async stop(instance: string): Promise<void> {
    await this.ctx.deletePod(instance);
  }

  remove(instance: string): Promise<void> {
    return removeInstance(this.ctx, instance);
  }

  /**
   * Removes what the migration left: on every node its dumps, images and registry pushes (by
   * the agents), and any pod it made to restore into that never received its copy.
   */
  async release(migrationId: string): Promise<void> {
    const failures: string[] = [];
    for (const node of this.ctx.nodes.list()) {
      const name = node.metadata?.name ?? "";
      if (node.metadata?.annotations?.["kwok.x-k8s.io/node"]) continue;
      await this.ctx
        .agent(name, migrationId)
        .release(migrationId)
        .catch((error: unknown) => failures.push(`${name}: ${(error as Error).message}`));
    }
    const leftovers = this.ctx.pods
      .list(this.ctx.namespace)
      .filter(
        (p) =>
          p.metadata?.labels?.[Label.migration] === migrationId &&
          toInstanceInfo(p)?.state !== "running",
      );
    for (const pod of leftovers) await this.ctx.deletePod(pod.metadata?.name ?? "", 0);
    if (failures.length > 0) {
      throw new RuntimeError(
        "RELEASE_INCOMPLETE",
        `could not release everything: ${failures.join("; ")}`,
        true,
        { migrationId },
      );
    }
  }

  private podRef(pod: V1Pod) {
    return {
      namespace: this.ctx.namespace,
      name: pod.metadata?.name ?? "",
      uid: pod.metadata?.uid ?? "",
    };
  }
}
