import { formatReport, runScenario } from "@shadow/scenario";
import { describe, expect, test } from "vitest";
import { providedCluster } from "./adapter-env.ts";
import { useKubernetesScenario } from "./k8s-scenario.ts";
import { connect } from "./kube.ts";

// A StatefulSet's ordinal pod of the example workload moved to the other node under load with
// the identity swap: the shadow serves while the ordinal is free, the set's controller recreates
// the ordinal on the target, the shadow's checkpoint is restored into it, and the set is left as
// it was. Nothing lost or duplicated (the verifier), the ordinal's state carried over.

const { cluster } = providedCluster();
const kube = connect(cluster.kubeconfig);
const { env, namespace } = useKubernetesScenario("statefulset");
const [nodeA, nodeB] = cluster.nodes;

interface PodView {
  name: string;
  node: string;
  owner: string;
  ready: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

describe("a StatefulSet's pod migrated on Kubernetes with the identity swap", () => {
  test("ends as the ordinal, owned by the set, on the target: 0 lost, 0 duplicated, the set as it was", {
    timeout: 900_000,
  }, async () => {
    const workload = "orders-0";
    let before: { strategy: string; replicas: number; revision: string } | undefined;
    let pods: PodView[] = [];
    let set: {
      replicas: number;
      strategy: string;
      annotations: Record<string, string>;
      updateRevision: string;
      currentRevision: string;
    } = { replicas: 0, strategy: "", annotations: {}, updateRevision: "", currentRevision: "" };
    const readSet = () => kube.apps.readNamespacedStatefulSet({ name: "orders", namespace });
    const report = await runScenario(
      env(),
      {
        workload,
        sourceNode: nodeA?.name,
        targetNode: nodeB?.name,
        strategy: "shadow",
        identitySwap: true,
        rate: 30,
        partitions: 2,
        costMs: 5,
        warmupMs: 4_000,
        cooldownMs: 3_000,
        migrationTimeoutMs: 600_000,
      },
      (line) => console.log(line),
      {
        async onMigrationStarted() {
          const s = await readSet();
          before = {
            strategy: s.spec?.updateStrategy?.type ?? "",
            replicas: s.spec?.replicas ?? 0,
            revision: s.status?.currentRevision ?? "",
          };
        },
        async onMigrationEnded() {
          // The set still stands here (the scenario deletes it at its end).
          const listed = await kube.core.listNamespacedPod({ namespace });
          pods = listed.items
            .filter((p) => !p.metadata?.deletionTimestamp)
            .map((p) => ({
              name: p.metadata?.name ?? "",
              node: p.spec?.nodeName ?? "",
              owner: p.metadata?.ownerReferences?.find((o) => o.controller)?.kind ?? "",
              ready:
                p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
                false,
              labels: p.metadata?.labels ?? {},
              annotations: p.metadata?.annotations ?? {},
            }));
          const s = await readSet();
          set = {
            replicas: s.spec?.replicas ?? 0,
            strategy: s.spec?.updateStrategy?.type ?? "",
            annotations: s.metadata?.annotations ?? {},
            updateRevision: s.status?.updateRevision ?? "",
            currentRevision: s.status?.currentRevision ?? "",
          };
        },
      },
    );
    console.log(formatReport(report));
    expect(report.migration.status).toBe("completed");
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBe(0);
    expect(report.instancesAfter).toHaveLength(1);
    expect(report.instancesAfter[0]).toMatchObject({
      instance: workload,
      node: nodeB?.name,
      state: "running",
    });

    // One pod: the ordinal, on the target, owned by the set, Ready, restored (not started
    // afresh) and labelled with the set's original revision (a rolling update leaves it be).
    expect(pods.map((p) => p.name)).toEqual([workload]);
    const [ordinal] = pods;
    expect(ordinal).toMatchObject({ node: nodeB?.name, owner: "StatefulSet", ready: true });
    expect(ordinal?.annotations["shadow.io/restored-by"]).toBeDefined();
    expect(ordinal?.labels["controller-revision-hash"]).toBe(before?.revision);
    expect(ordinal?.labels["shadow.io/migration"]).toBeUndefined();
    // The set as it was: replicas, update strategy, revision; no swap record left on it.
    expect(before).toBeDefined();
    expect(set.replicas).toBe(before?.replicas);
    expect(set.strategy).toBe(before?.strategy);
    expect(set.updateRevision).toBe(before?.revision);
    expect(Object.keys(set.annotations).filter((k) => k.startsWith("shadow.io/"))).toEqual([]);
  });
});
