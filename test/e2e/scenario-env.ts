import { randomBytes } from "node:crypto";
import { createScenarioEnvironment, type ScenarioEnvironment } from "@shadow/scenario";
import { freePort } from "@shadow/supervisor";
import { afterAll, beforeAll, inject } from "vitest";
import type { OwnKafkaBrokers } from "../setup/own-kafka.ts";

export interface ScenarioEnvironmentOptions {
  /** Extra configuration for the seven services (e.g. a shorter step deadline). */
  serviceEnv?: Record<string, string>;
  /** Brokers other than the project's (a test file's own broker); default: inject's. */
  kafka?: () => OwnKafkaBrokers | Promise<OwnKafkaBrokers>;
}

/**
 * The services of the choreography as real processes against the stack the globalSetup
 * brought up. One per test file: starting seven services takes a few seconds.
 */
export async function scenarioEnvironment(
  options: ScenarioEnvironmentOptions = {},
): Promise<ScenarioEnvironment> {
  const kafka = options.kafka
    ? await options.kafka()
    : { brokers: inject("kafkaBrokers"), nodeBrokers: inject("kafkaNodeBrokers") };
  process.env.SHADOW_KAFKA_BROKERS = kafka.brokers.join(",");
  if (kafka.nodeBrokers.length === 0)
    throw new Error("Kafka has no listener for the node namespaces");
  process.env.SHADOW_NODE_KAFKA_BROKERS = kafka.nodeBrokers.join(",");
  process.env.SHADOW_JAEGER_QUERY = inject("jaegerQueryUrl");
  // Topics of this environment's own: the broker is shared, and another run's services must
  // neither act on this one's events nor this one's on theirs.
  process.env.SHADOW_BUS_NAMESPACE = `e2e-${randomBytes(4).toString("hex")}`;
  return createScenarioEnvironment({
    stackUp: true,
    gatewayPort: await freePort(),
    ...(options.serviceEnv ? { serviceEnv: options.serviceEnv } : {}),
  });
}

/**
 * One environment for the test file it is called in: started before its tests, closed after.
 * Returns the environment's getter (it exists once the file's tests run). `serviceEnv` is
 * extra configuration for the seven services (e.g. a shorter step deadline).
 */
export function useScenarioEnvironment(
  serviceEnv?: Record<string, string>,
  options: Omit<ScenarioEnvironmentOptions, "serviceEnv"> = {},
): () => ScenarioEnvironment {
  let env: ScenarioEnvironment | undefined;
  beforeAll(async () => {
    env = await scenarioEnvironment({ ...options, ...(serviceEnv ? { serviceEnv } : {}) });
  });
  afterAll(async () => {
    await env?.close();
  });
  return () => {
    if (!env) throw new Error("the scenario environment is not up (used outside a test?)");
    return env;
  };
}
