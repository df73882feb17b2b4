import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createScenarioEnvironment, formatReport, runScenario } from "@shadow/scenario";
import { renderTimelineSvg } from "@shadow/timeline";

/**
 * `shadow demo`: the whole local stack, the example service on node-a under 60 msg/s, a live
 * migration to node-b with identity swap, and the report. Exit code 0 only when the migration
 * completed with nothing lost or duplicated and no downtime.
 */
export async function runDemo(out: (line: string) => void): Promise<number> {
  const started = Date.now();
  const env = await createScenarioEnvironment({ log: (line) => out(`  ${line}`) });
  try {
    const report = await runScenario(
      env,
      { workload: "orders-0", strategy: "shadow", identitySwap: true, rate: 60, partitions: 4 },
      (line) => out(line),
    );
    out("");
    out(formatReport(report));
    const dir = process.env.SHADOW_STATE || "/var/lib/shadow";
    const file = join(dir, "demo-report.json");
    await writeFile(file, JSON.stringify(report, null, 2));
    out(`\nfull report: ${file} (demo took ${Math.round((Date.now() - started) / 1000)} s)`);
    if (report.timeline) {
      const picture = join(dir, "demo-timeline.svg");
      await writeFile(picture, renderTimelineSvg(report.timeline));
      out(`timeline:    ${picture} (open it in a browser)`);
    }
    const ok =
      report.migration.status === "completed" &&
      report.verify.lost.count === 0 &&
      report.verify.duplicated.count === 0 &&
      report.probe.longestOutageMs === 0 &&
      report.verify.downtime.longest.ms === 0;
    return ok ? 0 : 1;
  } finally {
    await env.close();
  }
}
