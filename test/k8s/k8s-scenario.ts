import { randomBytes } from "node:crypto";
import {
  createScenarioEnvironment,
  type KubernetesWorkloadKind,
  type ScenarioEnvironment,
} from "@shadow/scenario";
import { freePort } from "@shadow/supervisor";
import { afterAll, beforeAll, inject } from "vitest";
import { adapterEnv, providedCluster } from "./adapter-env.ts";
import { connect, waitFor } from "./kube.ts";

/**
 * The six services as real processes on the kubernetes runtime (SHADOW_RUNTIME=kubernetes), in
 * a namespace of this test file's own, with the example workload deployed as `kind`.
 */
export function useKubernetesScenario(
  kind: KubernetesWorkloadKind,
  serviceEnv: Record<string, string> = {},
): { env: () => ScenarioEnvironment; namespace: string } {
  const { cluster } = providedCluster();
  const kube = connect(cluster.kubeconfig);
  const namespace = `scenario-${kind}-${randomBytes(3).toString("hex")}`;
  let env: ScenarioEnvironment | undefined;
  beforeAll(async () => {
    await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
    await waitFor(
      "the namespace's service account",
      30_000,
      () => kube.core.readNamespacedServiceAccount({ name: "default", namespace }),
      () => true,
    );
    process.env.SHADOW_KAFKA_BROKERS = inject("kafkaBrokers").join(",");
    process.env.SHADOW_NODE_KAFKA_BROKERS = inject("kafkaNodeBrokers").join(",");
    process.env.SHADOW_JAEGER_QUERY = inject("jaegerQueryUrl");
    // Topics of this environment's own: the broker is shared, and another run's services must
    // neither act on this one's events nor this one's on theirs.
    process.env.SHADOW_BUS_NAMESPACE = `k8s-${kind}-${randomBytes(3).toString("hex")}`;
    env = await createScenarioEnvironment({
      stackUp: true,
      // A port of its own: the local stack's gateway (8480) may be serving beside it.
      gatewayPort: await freePort(),
      runtimeEnv: adapterEnv(namespace),
      kubernetesWorkload: kind,
      // Pods, kubelet checkpoints and image pushes on a shared two-core machine: steps take
      // seconds, not the local runtime's hundreds of milliseconds.
      serviceEnv: { SHADOW_STEP_DEADLINE_MS: "240000", ...serviceEnv },
    });
  });
  afterAll(async () => {
    await env?.close();
    await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });
  return {
    env: () => {
      if (!env) throw new Error("the scenario environment is not up");
      return env;
    },
    namespace,
  };
}
