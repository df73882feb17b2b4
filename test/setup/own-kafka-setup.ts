import { beforeAll, inject } from "vitest";
import type { TestProject } from "vitest/node";
import { stackEndpoints } from "./endpoints.ts";
import { ensureStack, provideAll, waitForJaeger } from "./local-stack.ts";
import { type OwnKafkaSpec, ownKafka, ownKafkaBrokers, startOwnKafka } from "./own-kafka.ts";

/**
 * The globalSetup of a project with brokers of its own (test/chaos, test/kafka-3.9): the
 * stack's other parts (nodes, registry, Jaeger) as the integration project has them, and these
 * brokers' addresses in place of the stack's broker. The brokers start when the project's
 * first file needs them (`useOwnKafka`), not here: vitest runs every project's globalSetup
 * before any test, and idle brokers would share the two cores with every other project's
 * tests (three idle KRaft nodes took 11% of a core). They stop when the run ends.
 */
export function ownKafkaSetup(spec: OwnKafkaSpec, gatewayPort: number) {
  return async function setup(project: TestProject): Promise<() => Promise<void>> {
    await ensureStack();
    const stack = stackEndpoints();
    await waitForJaeger(stack.jaegerQueryUrl, 30_000);
    const own = await ownKafkaBrokers(spec);
    provideAll(project, {
      ...stack,
      kafkaBrokers: own.brokers,
      kafkaNodeBrokers: own.nodeBrokers,
      gatewayPort,
      ownKafka: spec,
    });
    return async () => {
      await ownKafka(spec, "stop");
    };
  };
}

/** Starts the project's own brokers before the file's tests (seconds when they run). */
export function useOwnKafka(spec: OwnKafkaSpec | undefined = inject("ownKafka")): void {
  beforeAll(async () => {
    if (!spec) throw new Error("this project has no brokers of its own (ownKafka)");
    await startOwnKafka(spec);
  }, 300_000);
}
