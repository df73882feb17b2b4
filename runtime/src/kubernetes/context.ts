import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { RuntimeConfigError, UnknownInstanceError, UnknownNodeError } from "../errors.ts";
import { AgentClient } from "./agent-client.ts";
import type { KubernetesRuntimeConfig } from "./config.ts";
import { ignoreNotFound, type Kube } from "./kube.ts";
import { kubeletSummary, NodeSummaries } from "./kubelet-summary.ts";
import { nodeReady } from "./nodes.ts";
import type { ObjectWatch } from "./object-watch.ts";

/** What the adapter's operations share: the API, the watched pods and nodes, the agents. */
export class KubeContext {
  private readonly agents = new Map<string, AgentClient>();
  /** Each node's memory figures from its kubelet's summary API. */
  readonly summaries: NodeSummaries;

  constructor(
    readonly config: KubernetesRuntimeConfig,
    readonly kube: Kube,
    readonly pods: ObjectWatch<V1Pod>,
    readonly nodes: ObjectWatch<V1Node>,
  ) {
    this.summaries = new NodeSummaries((node) => kubeletSummary(kube.config, node));
  }

  get namespace(): string {
    return this.config.namespace;
  }

  /** The pod, from the watch, else from the API server (a pod made a moment ago). */
  async pod(name: string): Promise<V1Pod | undefined> {
    return (
      this.pods.get(name, this.namespace) ??
      (await ignoreNotFound(this.kube.core.readNamespacedPod({ name, namespace: this.namespace })))
    );
  }

  async requirePod(name: string, migrationId?: string): Promise<V1Pod> {
    const pod = await this.pod(name);
    if (!pod) throw new UnknownInstanceError(name, { migrationId });
    return pod;
  }

  node(name: string, migrationId?: string): V1Node {
    const node = this.nodes.get(name);
    if (!node) throw new UnknownNodeError(name, { migrationId });
    return node;
  }

  /** The agent on `node`, at the node's InternalIP. */
  agent(nodeName: string, migrationId?: string): AgentClient {
    let client = this.agents.get(nodeName);
    if (!client) {
      const token = this.config.agentToken;
      if (!token) {
        throw new RuntimeConfigError(
          `node ${nodeName}'s agent cannot be reached: this process was started without the agents' token (SHADOW_AGENT_TOKEN or SHADOW_AGENT_TOKEN_FILE)`,
          { migrationId },
        );
      }
      const node = this.node(nodeName, migrationId);
      const ip = node.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
      if (!ip) throw new UnknownNodeError(nodeName, { migrationId });
      client = new AgentClient(nodeName, `http://${ip}:${this.config.agentPort}`, token);
      this.agents.set(nodeName, client);
    }
    return client;
  }

  /**
   * Deletes the pod and resolves once the API server no longer has it. A pod on a node that is
   * not Ready is deleted at once (grace 0): its kubelet, which would confirm a graceful end, is
   * not answering, and the pod would stay Terminating until it did. Its process goes with the
   * sandbox when the kubelet returns, or sooner by the node's agent.
   */
  async deletePod(name: string, graceSeconds?: number): Promise<void> {
    const nodeName = this.pods.get(name, this.namespace)?.spec?.nodeName;
    const node = nodeName ? this.nodes.get(nodeName) : undefined;
    const grace = node && !nodeReady(node) ? 0 : graceSeconds;
    const gone = await ignoreNotFound(
      this.kube.core.deleteNamespacedPod({
        name,
        namespace: this.namespace,
        ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
      }),
    );
    if (gone === undefined) return;
    await this.pods.waitFor(`pod ${name} deleted`, 120_000, () =>
      this.pods.get(name, this.namespace) ? undefined : true,
    );
  }
}
