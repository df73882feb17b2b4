import type { TestProject } from "vitest/node";
import { ownKafka, testKafkaSpec } from "../setup/own-kafka.ts";
import { ownKafkaSetup } from "../setup/own-kafka-setup.ts";

/**
 * globalSetup of the `chaos` project: a three-node KRaft cluster of its own (ports from
 * SHADOW_TEST_KAFKA_PORT, default 19092-19100; state under $SHADOW_STATE/test-kafka/chaos)
 * beside the stack's broker, which these tests never touch. Files that kill a single broker
 * start one of their own (`chaos-single`); it is stopped here too if a file could not.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const gatewayPort = Number(process.env.SHADOW_TEST_GATEWAY_PORT ?? 8480) + 1;
  const teardown = await ownKafkaSetup(testKafkaSpec("chaos"), gatewayPort)(project);
  return async () => {
    await teardown();
    await ownKafka(testKafkaSpec("chaos-single"), "stop");
  };
}
