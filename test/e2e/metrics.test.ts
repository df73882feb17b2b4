import type { ServiceName } from "@shadow/scenario";
import { formatReport, runScenario } from "@shadow/scenario";
import { describe, expect, it } from "vitest";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();

/** The step event each service handles in a round of ShadowPod, as its consumer counts it. */
const handledBy: [ServiceName, string][] = [
  ["admission-svc", "io.shadow.migration.requested.v1"],
  ["checkpoint-svc", "io.shadow.migration.admitted.v1"],
  ["image-svc", "io.shadow.migration.checkpoint.created.v1"],
  ["restore-svc", "io.shadow.migration.checkpoint-image.ready.v1"],
  ["fence-svc", "io.shadow.migration.shadow.caught-up.v1"],
  ["drain-svc", "io.shadow.migration.fence.completed.v1"],
];

async function scrape(service: ServiceName): Promise<string> {
  const url = env().services.metricsUrl(service);
  if (!url) throw new Error(`${service} logged no metrics endpoint`);
  const res = await fetch(url);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  return res.text();
}

/** Sum of a Prometheus sample over the series whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = line.match(/^([a-z_]+)\{(.*)\} (\S+)$/);
    if (!match || match[1] !== name) continue;
    const series = match[2] ?? "";
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) {
      sum += Number(match[3]);
    }
  }
  return sum;
}

describe("the services' Prometheus metrics (through OpenTelemetry)", () => {
  it("count each step's event handled, the gateway's migrations by outcome and its phase durations", async () => {
    const completed = (text: string) =>
      sample(text, "shadow_migrations_total", { outcome: "completed", strategy: "shadow" });
    const catchUps = (text: string) =>
      sample(text, "shadow_migration_phase_duration_count", { phase: "catch-up", round: "1" });
    // The gateway folds the whole log, earlier runs' migrations too: compare before and after.
    const before = await scrape("gateway");
    const report = await runScenario(env(), {
      workload: workloadName("metrics"),
      strategy: "shadow",
      identitySwap: false,
      rate: 20,
      partitions: 2,
      warmupMs: 2_000,
      cooldownMs: 500,
    });
    console.log(formatReport(report));
    expect(report.migration.status).toBe("completed");

    const after = await scrape("gateway");
    expect(completed(after) - completed(before)).toBe(1);
    expect(catchUps(after) - catchUps(before)).toBe(1);
    for (const [service, type] of handledBy) {
      const text = await scrape(service);
      expect(
        sample(text, "shadow_events_consumed_total", {
          cloudevents_event_type: type,
          outcome: "handled",
        }),
        `${service} handled ${type}`,
      ).toBe(1);
      expect(
        sample(text, "shadow_events_handler_duration_count", { cloudevents_event_type: type }),
      ).toBe(1);
    }
  });
});
