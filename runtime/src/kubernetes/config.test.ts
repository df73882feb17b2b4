import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { RuntimeConfigError } from "../errors.ts";
import { loadKubernetesRuntimeConfig } from "./config.ts";
import { KubeContext } from "./context.ts";
import type { Kube } from "./kube.ts";
import type { ObjectWatch } from "./object-watch.ts";

function contextOn(config: ReturnType<typeof loadKubernetesRuntimeConfig>): KubeContext {
  const node: V1Node = {
    metadata: { name: "kube-a" },
    status: { addresses: [{ type: "InternalIP", address: "10.0.0.1" }] },
  };
  const nodes = { get: (name: string) => (name === "kube-a" ? node : undefined) };
  return new KubeContext(
    config,
    {} as Kube,
    {} as ObjectWatch<V1Pod>,
    nodes as unknown as ObjectWatch<V1Node>,
  );
}

describe("the kubernetes runtime's configuration", () => {
  test("starts without the agents' token, and then refuses, typed, to reach an agent", () => {
    const config = loadKubernetesRuntimeConfig({ SHADOW_K8S_NAMESPACE: "workloads" });
    expect(config.agentToken).toBeUndefined();
    const ctx = contextOn(config);
    let caught: unknown;
    try {
      ctx.agent("kube-a", "mig-1");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RuntimeConfigError);
    expect(caught).toMatchObject({ migrationId: "mig-1", retryable: false });
    expect((caught as Error).message).toContain("SHADOW_AGENT_TOKEN");
  });

  test("with a token, reaches the agent at the node's InternalIP", () => {
    const config = loadKubernetesRuntimeConfig({
      SHADOW_AGENT_TOKEN: "a-token-of-16-chars-or-more",
    });
    expect(config.agentToken).toBe("a-token-of-16-chars-or-more");
    expect(config.agentPort).toBe(10290);
    const agent = contextOn(config).agent("kube-a");
    expect(agent.node).toBe("kube-a");
    expect((agent as unknown as { baseUrl: string }).baseUrl).toBe("http://10.0.0.1:10290");
  });

  test("refuses a token too short to be one, at start-up", () => {
    expect(() => loadKubernetesRuntimeConfig({ SHADOW_AGENT_TOKEN: "short" })).toThrow(
      /16\+ characters/,
    );
    expect(() => loadKubernetesRuntimeConfig({ SHADOW_AGENT_TOKEN: "" })).toThrow(
      /16\+ characters/,
    );
  });
});
