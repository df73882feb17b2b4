import { defineConfig } from "vitest/config";

/**
 * Three projects: `unit` runs next-to-the-code tests with fakes and needs nothing running;
 * `integration` runs against the real local stack (Kafka, Jaeger, CRIU nodes), which its
 * globalSetup brings up through deploy/local; `kubernetes` runs against a real Kubernetes
 * cluster on this machine (deploy/cluster) beside that stack, whose Kafka its pods use.
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
        },
      },
    ],
  },
});
