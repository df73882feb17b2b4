import { formatReport, runScenario, waitFor } from "@shadow/scenario";
import { describe, expect, inject, it } from "vitest";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();

interface JaegerSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}

/** Every step's handler, by the service that owns it. */
const steps: [string, string][] = [
  ["admission-svc", "handle io.shadow.migration.requested.v1"],
  ["checkpoint-svc", "handle io.shadow.migration.admitted.v1"],
  ["image-svc", "handle io.shadow.migration.checkpoint.created.v1"],
  ["restore-svc", "handle io.shadow.migration.checkpoint-image.ready.v1"],
  ["restore-svc", "handle io.shadow.migration.shadow.restored.v1"],
  ["fence-svc", "handle io.shadow.migration.shadow.caught-up.v1"],
  ["fence-svc", "handle io.shadow.migration.fence.passed.v1"],
  ["drain-svc", "handle io.shadow.migration.fence.completed.v1"],
];

describe("one trace per migration", () => {
  it("holds the gateway's root span and a span for every step, each a descendant of the root", async () => {
    const report = await runScenario(env(), {
      workload: workloadName("traced"),
      strategy: "shadow",
      identitySwap: false,
      rate: 20,
      partitions: 2,
      warmupMs: 2_000,
      cooldownMs: 1_000,
    });
    console.log(formatReport(report));
    expect(report.migration.status).toBe("completed");
    const traceId = report.migration.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const jaeger = inject("jaegerQueryUrl");
    // Spans are exported in batches: poll until every step's span has arrived.
    const { spans, services } = await waitFor("every step's span in Jaeger", 60_000, async () => {
      const res = await fetch(`${jaeger}/api/traces/${traceId}`);
      if (!res.ok) return undefined;
      const body = (await res.json()) as {
        data: { spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> }[];
      };
      const trace = body.data[0];
      if (!trace) return undefined;
      const services = new Map(
        Object.entries(trace.processes).map(([id, p]) => [id, p.serviceName]),
      );
      const found = steps.every(([service, op]) =>
        trace.spans.some((s) => s.operationName === op && services.get(s.processID) === service),
      );
      return found ? { spans: trace.spans, services } : undefined;
    });
    const root = spans.find((s) => s.operationName === "migration requested");
    expect(root?.references).toEqual([]);
    expect(services.get(root?.processID ?? "")).toBe("gateway");
    expect(root?.tags).toContainEqual(
      expect.objectContaining({ key: "shadow.migration.id", value: report.migration.migrationId }),
    );
    const byId = new Map(spans.map((s) => [s.spanID, s]));
    const reachesRoot = (span: JaegerSpan): boolean => {
      for (let s: JaegerSpan | undefined = span, hops = 0; s && hops < 100; hops++) {
        if (s === root) return true;
        const parent: { spanID: string } | undefined = s.references.find(
          (r) => r.refType === "CHILD_OF",
        );
        s = parent ? byId.get(parent.spanID) : undefined;
      }
      return false;
    };
    const tag = (span: JaegerSpan | undefined, key: string) =>
      span?.tags.find((t) => t.key === key)?.value;
    const m = report.migration;
    for (const [service, op] of steps) {
      const span = spans.find(
        (s) => s.operationName === op && services.get(s.processID) === service,
      );
      expect(span, `${service}: ${op}`).toBeDefined();
      expect(reachesRoot(span as JaegerSpan), `${op} descends from the root`).toBe(true);
      // Every step's span says which migration, workload and nodes it worked for.
      expect(tag(span, "shadow.migration.id"), op).toBe(m.migrationId);
      expect(tag(span, "shadow.workload"), op).toBe(m.workload);
      expect(tag(span, "shadow.node.from"), op).toBe("node-a");
      expect(tag(span, "shadow.node.to"), op).toBe("node-b");
    }
    // The handover's spans carry the offsets: the shadow's and source's at catch-up, the cut.
    const caughtUp = spans.find(
      (s) => s.operationName === "handle io.shadow.migration.shadow.caught-up.v1",
    );
    expect(String(tag(caughtUp, "shadow.offsets.source"))).toMatch(/\/\d+@-?\d+/);
    const passed = spans.find(
      (s) => s.operationName === "handle io.shadow.migration.fence.passed.v1",
    );
    expect(String(tag(passed, "shadow.offsets.cut"))).toMatch(/\/\d+@-?\d+/);
  });
});
