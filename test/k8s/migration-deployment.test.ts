import { formatReport, runScenario, waitFor } from "@shadow/scenario";
import { describe, expect, inject, test } from "vitest";
import { providedCluster } from "./adapter-env.ts";
import { useKubernetesScenario } from "./k8s-scenario.ts";
import { connect } from "./kube.ts";

// A Deployment's pod of the example workload moved to the other node under load by the six
// services on the kubernetes runtime: nothing lost or duplicated, no probe downtime, one trace,
// and the Deployment's ReplicaSet owning the copy on the target (it started no fresh pod).

const { cluster } = providedCluster();
const kube = connect(cluster.kubeconfig);
const { env, namespace } = useKubernetesScenario("deployment");
const [nodeA, nodeB] = cluster.nodes;

describe("a Deployment's pod migrated on Kubernetes", () => {
  test("moves to the other node under load: 0 lost, 0 duplicated, no downtime, one trace, owned by its ReplicaSet", {
    timeout: 600_000,
  }, async () => {
    const workload = "orders-d";
    let after: { name: string; node: string; owner: string; ready: boolean }[] = [];
    let replicaSets: { name: string; replicas: number }[] = [];
    const report = await runScenario(
      env(),
      {
        workload,
        sourceNode: nodeA?.name,
        targetNode: nodeB?.name,
        strategy: "shadow",
        identitySwap: false,
        rate: 30,
        partitions: 2,
        costMs: 5,
        warmupMs: 4_000,
        cooldownMs: 3_000,
        migrationTimeoutMs: 300_000,
      },
      (line) => console.log(line),
      {
        async onMigrationEnded() {
          // The Deployment still stands here (the scenario deletes it at its end).
          const listed = await kube.core.listNamespacedPod({ namespace });
          after = listed.items
            .filter((p) => !p.metadata?.deletionTimestamp)
            .map((p) => ({
              name: p.metadata?.name ?? "",
              node: p.spec?.nodeName ?? "",
              owner: p.metadata?.ownerReferences?.find((o) => o.controller)?.kind ?? "",
              ready:
                p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
                false,
            }));
          replicaSets = (await kube.apps.listNamespacedReplicaSet({ namespace })).items.map(
            (rs) => ({
              name: rs.metadata?.name ?? "",
              replicas: rs.status?.replicas ?? 0,
            }),
          );
        },
      },
    );
    console.log(formatReport(report));
    expect(report.migration.status).toBe("completed");
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBe(0);
    // Soft: a probe outage fails the test but the assertions below are still checked.
    expect.soft(report.probe.longestOutageMs).toBe(0);
    expect(report.instancesAfter).toHaveLength(1);
    expect(report.instancesAfter[0]).toMatchObject({ node: nodeB?.name, state: "running" });
    // One pod: the copy, on the target, a replica of the Deployment's ReplicaSet (adopted: it
    // started no fresh pod beside it, and the source is gone).
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ node: nodeB?.name, owner: "ReplicaSet", ready: true });
    expect(after[0]?.name).toBe(report.instancesAfter[0]?.instance);
    expect(replicaSets).toHaveLength(1);
    expect(replicaSets[0]?.replicas).toBe(1);

    const traceId = report.migration.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const services = await waitFor("the migration's trace in Jaeger", 60_000, async () => {
      const res = await fetch(`${inject("jaegerQueryUrl")}/api/traces/${traceId}`);
      if (!res.ok) return undefined;
      const body = (await res.json()) as {
        data: { processes: Record<string, { serviceName: string }> }[];
      };
      const names = new Set(Object.values(body.data[0]?.processes ?? {}).map((p) => p.serviceName));
      return [
        "gateway",
        "checkpoint-svc",
        "image-svc",
        "restore-svc",
        "fence-svc",
        "drain-svc",
      ].every((s) => names.has(s))
        ? names
        : undefined;
    });
    expect(services.size).toBeGreaterThanOrEqual(6);
  });
});
