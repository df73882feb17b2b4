import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` runs next-to-the-code tests with fakes and needs nothing running;
 * `integration` runs against the real local stack (Kafka, Jaeger, CRIU nodes), which its
 * globalSetup brings up through deploy/local.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "{events,otel,runtime,migration,host,workload,supervisor,scenario,cli,services/*}/src/**/*.test.ts",
            "test/unit/**/*.test.ts",
          ],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: [
            "{events,otel,runtime,migration,host,workload,supervisor,scenario,cli,services/*}/test/**/*.test.ts",
            "test/e2e/**/*.test.ts",
          ],
          environment: "node",
          globalSetup: ["./test/setup/local-stack.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The stack is shared and CPU is scarce: run files one after another.
          fileParallelism: false,
        },
      },
    ],
  },
});
