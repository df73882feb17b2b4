import { randomBytes } from "node:crypto";
import { createScenarioEnvironment, type ScenarioEnvironment } from "@shadow/scenario";
import { afterAll, beforeAll, inject } from "vitest";
import { freePort } from "./free-port.ts";

/**
 * The services of the choreography as real processes against the stack the globalSetup
 * brought up. One per test file: starting seven services takes a few seconds.
 */
export async function scenarioEnvironment(
  serviceEnv?: Record<string, string>,
): Promise<ScenarioEnvironment> {
  process.env.SHADOW_KAFKA_BROKERS = inject("kafkaBrokers").join(",");
  const nodeBrokers = inject("kafkaNodeBrokers");
  if (nodeBrokers.length === 0) throw new Error("Kafka has no listener for the node namespaces");
  process.env.SHADOW_NODE_KAFKA_BROKERS = nodeBrokers.join(",");
  process.env.SHADOW_JAEGER_QUERY = inject("jaegerQueryUrl");
  // Topics of this environment's own: the broker is shared, and another run's services must
  // neither act on this one's events nor this one's on theirs.
  process.env.SHADOW_BUS_NAMESPACE = `e2e-${randomBytes(4).toString("hex")}`;
  return createScenarioEnvironment({
    stackUp: true,
    gatewayPort: await freePort(),
    ...(serviceEnv ? { serviceEnv } : {}),
  });
}

/**
 * One environment for the test file it is called in: started before its tests, closed after.
 * Returns the environment's getter (it exists once the file's tests run). `serviceEnv` is
 * extra configuration for the seven services (e.g. a shorter step deadline).
 */
export function useScenarioEnvironment(
  serviceEnv?: Record<string, string>,
): () => ScenarioEnvironment {
  let env: ScenarioEnvironment | undefined;
  beforeAll(async () => {
    env = await scenarioEnvironment(serviceEnv);
  });
  afterAll(async () => {
    await env?.close();
  });
  return () => {
    if (!env) throw new Error("the scenario environment is not up (used outside a test?)");
    return env;
  };
}
