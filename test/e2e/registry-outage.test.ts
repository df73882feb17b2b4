import { execFile } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { formatReport, runScenario } from "@shadow/scenario";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./repo-root.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();
const run = promisify(execFile);
const registry = (command: "start" | "stop") =>
  run("bash", [join(repoRoot, "deploy/local/registry.sh"), command], { timeout: 120_000 });

const OUTAGE_MS = 5_000;

describe("the registry away for 5 s while the image is pushed", () => {
  it("retries the image step until it is back: the migration completes, nothing lost or duplicated", {
    timeout: 240_000,
  }, async () => {
    const workload = workloadName("registry-outage");
    let outage: { from: number; to: number } | undefined;
    try {
      const report = await runScenario(
        env(),
        {
          workload,
          strategy: "shadow",
          identitySwap: false,
          imageTransfer: "registry",
          rate: 40,
          partitions: 2,
          warmupMs: 3_000,
          cooldownMs: 3_000,
        },
        undefined,
        {
          // Stopped as the migration starts: its checkpoint takes a few hundred ms, so the
          // whole image phase begins inside the outage, whatever the machine's speed.
          async onMigrationStarted() {
            await registry("stop");
            const from = Date.now();
            await sleep(OUTAGE_MS);
            await registry("start");
            outage = { from, to: Date.now() };
          },
        },
      );
      console.log(
        `registry down ${outage ? outage.to - outage.from : "?"} ms\n${formatReport(report)}`,
      );
      expect(outage).toBeDefined();
      const image = report.migration.phases.find((p) => p.round === 1 && p.phase === "image");
      const imageFrom = Date.parse(image?.startedAt ?? "");
      const imageTo = Date.parse(image?.endedAt ?? "");
      // The image phase began while the registry was away and ended only after it was back:
      // the push was retried, not failed.
      expect(imageFrom).toBeLessThan(outage?.to ?? 0);
      expect(imageTo).toBeGreaterThan(outage?.to ?? Number.POSITIVE_INFINITY);
      expect(report.migration.status).toBe("completed");
      expect(report.migration.failure).toBeUndefined();
      expect(report.verify.lost.count).toBe(0);
      expect(report.verify.duplicated.count).toBe(0);
      expect(report.probe.longestOutageMs).toBe(0);
    } finally {
      // Whatever happened, the registry runs again for the tests after this one.
      await registry("start");
    }
  });
});
