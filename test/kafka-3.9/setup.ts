import { testKafkaSpec } from "../setup/own-kafka.ts";
import { ownKafkaSetup } from "../setup/own-kafka-setup.ts";

/**
 * globalSetup of the `kafka-3.9` project: the previous Kafka line (3.9.1, one KRaft node) on
 * ports of its own (SHADOW_TEST_KAFKA_PORT + 200, default 19292-19294; state under
 * $SHADOW_STATE/test-kafka/kafka-3.9), so the stack test and a live migration run against it
 * beside the stack's broker.
 */
export default ownKafkaSetup(
  testKafkaSpec("kafka-3.9"),
  Number(process.env.SHADOW_TEST_GATEWAY_PORT ?? 8480) + 2,
);
