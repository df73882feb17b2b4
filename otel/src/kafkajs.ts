import { createRequire } from "node:module";
import { KafkaJsInstrumentation } from "@opentelemetry/instrumentation-kafkajs";

/**
 * The kafkajs instrumentation adds transport spans (`send <topic>`, `process <topic>`) and
 * client metrics. It patches `Kafka.prototype` through require-in-the-middle, which only sees
 * `require` calls made after the SDK started. Services are ES modules that import kafkajs
 * statically, so kafkajs is usually loaded before `startTelemetry` runs and no later `require`
 * ever happens. We therefore `require` it once ourselves right after the SDK started: the hook
 * then patches the one shared prototype, which every importer, earlier or later, uses.
 */
export function kafkajsInstrumentation(): KafkaJsInstrumentation {
  return new KafkaJsInstrumentation();
}

export function ensureKafkajsPatched(): void {
  const require = createRequire(import.meta.url);
  try {
    require("kafkajs");
  } catch {
    // kafkajs is not installed next to this package: nothing to patch.
  }
}
