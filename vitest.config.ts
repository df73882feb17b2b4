import { defineConfig } from "vitest/config";

/**
 * Five projects: `unit` runs next-to-the-code tests with fakes and needs nothing running;
 * `integration` runs against the real local stack (Kafka, Jaeger, CRIU nodes), which its
 * globalSetup brings up through deploy/local. Two more bring brokers of their own, beside the
 * stack's (ports from SHADOW_TEST_KAFKA_PORT, default 19092): `kafka-3.9` runs the stack test
 * and a live migration against the previous Kafka line, and `chaos` kills brokers of a
 * three-node cluster (and of a single broker) during live migrations. `kubernetes` runs against
 * a real Kubernetes cluster on this machine (deploy/cluster) beside that stack, whose Kafka its
 * pods use.
 *
 * The projects run one after another (`sequence.groupOrder`): unit, integration, kafka-3.9,
 * chaos, kubernetes. Live migrations share two cores and the nodes: one at a time. (With unit
 * and integration in one group, vitest 4.1 ran the unit files and went on to the next group
 * without running the integration files.)
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "*/src/**/*.test.ts",
            "services/*/src/**/*.test.ts",
            "deploy/*/src/**/*.test.ts",
            "test/unit/**/*.test.ts",
          ],
          environment: "node",
          // Some draw plots or start processes; beside the integration files on two cores, 5 s
          // was too little for them. A hang still fails, after 30 s.
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["*/test/**/*.test.ts", "services/*/test/**/*.test.ts", "test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["./test/setup/local-stack.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The stack is shared and CPU is scarce: run files one after another.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: "kafka-3.9",
          include: ["test/e2e/stack.test.ts", "test/kafka-3.9/**/*.test.ts"],
          environment: "node",
          globalSetup: ["./test/kafka-3.9/setup.ts"],
          setupFiles: ["./test/kafka-3.9/use-broker.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          name: "chaos",
          include: ["test/chaos/**/*.test.ts"],
          environment: "node",
          globalSetup: ["./test/chaos/setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
      {
        test: {
          name: "kubernetes",
          include: ["test/k8s/**/*.test.ts"],
          environment: "node",
          globalSetup: ["./test/setup/local-stack.ts", "./test/setup/cluster.ts"],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // One file at a time, and never beside an integration file: both share two cores.
          fileParallelism: false,
          sequence: { groupOrder: 4 },
        },
      },
    ],
  },
});
