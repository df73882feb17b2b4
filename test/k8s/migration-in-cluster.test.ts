import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  formatReport,
  runScenario,
  type ScenarioReport,
  type WorkloadEnvironment,
  workloadEnvironment,
} from "@shadow/scenario";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { repoRoot } from "../e2e/repo-root.ts";
import { adapterEnv, providedCluster } from "./adapter-env.ts";
import { waitFor } from "./kube.ts";
import {
  BUS_NAMESPACE,
  ensureShadow,
  GATEWAY_TOKEN,
  gatewayUrl,
  kubectl,
  NODE_AGENT,
  SHADOW_NAMESPACE,
  shadowKube,
  WORKLOADS_NAMESPACE,
} from "./shadow-install.ts";

// shadow as an operator installs it (kubectl apply -k of the local overlay: every part a pod),
// used as a user uses it: `kubectl apply` of a Migration moves a StatefulSet's pod of the example
// workload to the other node under load. Nothing lost or duplicated (the verifier reads every
// input and output), `kubectl get migrations` shows it completed with its time, and its one
// trace, begun by the migration controller, is in Jaeger with every step's service.

const { cluster } = providedCluster();
const kube = shadowKube(cluster.kubeconfig);
const [nodeA, nodeB] = cluster.nodes;
const run = randomBytes(3).toString("hex");
// A set of this run's own: a StatefulSet left by another run keeps its name.
const workload = `orders-${run}-0`;
const migrationName = `move-${workload}`;
const migrations = { group: "shadow.io", version: "v1alpha1", plural: "migrations" };

interface Migration {
  status?: { phase?: string; step?: string; migrationId?: string; took?: string; message?: string };
}

let env: (WorkloadEnvironment & { close(): Promise<void> }) | undefined;

beforeAll(async () => {
  await ensureShadow(cluster, kube);
  process.env.SHADOW_KAFKA_BROKERS = inject("kafkaBrokers").join(",");
  process.env.SHADOW_NODE_KAFKA_BROKERS = inject("kafkaNodeBrokers").join(",");
  process.env.SHADOW_JAEGER_QUERY = inject("jaegerQueryUrl");
  // The installed parts' topics (the overlay's bus namespace): the workload's control topic
  // must be the one their fence-svc writes.
  process.env.SHADOW_BUS_NAMESPACE = BUS_NAMESPACE;
  // This process deploys, probes and lists the workload in the namespace the installed parts
  // manage; the migration itself is theirs.
  const base = await workloadEnvironment(
    await gatewayUrl(kube),
    adapterEnv(WORKLOADS_NAMESPACE),
    "statefulset",
  );
  env = {
    ...base,
    token: GATEWAY_TOKEN,
    close: async () => (base.runtime as { close?: () => Promise<void> }).close?.(),
  };
}, 360_000);

afterAll(async () => {
  await kube.custom
    .deleteNamespacedCustomObject({
      ...migrations,
      namespace: WORKLOADS_NAMESPACE,
      name: migrationName,
    })
    .catch(() => undefined);
  await env?.close();
});

const execFileAsync = promisify(execFile);

/** `shadow ARGS` as a user runs it, with `env` added to this process's environment. */
async function shadow(args: string[], env: Record<string, string>) {
  return execFileAsync(join(repoRoot, "cli", "bin", "shadow"), args, {
    env: { ...process.env, ...env },
    maxBuffer: 4 * 1024 * 1024,
  });
}

async function readMigration(): Promise<Migration> {
  return (await kube.custom.getNamespacedCustomObject({
    ...migrations,
    namespace: WORKLOADS_NAMESPACE,
    name: migrationName,
  })) as Migration;
}

describe("a Migration applied with kubectl, run by shadow installed in the cluster", () => {
  test("moves a StatefulSet's pod under load: 0 lost, 0 duplicated, completed in kubectl get, one trace", {
    timeout: 900_000,
  }, async () => {
    if (!env) throw new Error("no workload environment");
    // The Migration's status as `kubectl get` showed it along the way, each change once.
    const statuses: string[] = [];
    let watching: ReturnType<typeof setInterval> | undefined;
    const report: ScenarioReport = await runScenario(
      env,
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
          watching = setInterval(() => {
            readMigration().then(
              (m) => {
                const seen = `${m.status?.phase ?? "-"} ${m.status?.step ?? "-"}`;
                if (statuses.at(-1) !== seen) statuses.push(seen);
              },
              () => undefined,
            );
          }, 200);
        },
        async onMigrationEnded() {
          clearInterval(watching);
        },
        async requestMigration(request) {
          const manifest = {
            apiVersion: "shadow.io/v1alpha1",
            kind: "Migration",
            metadata: { name: migrationName, namespace: WORKLOADS_NAMESPACE },
            spec: {
              pod: request.workload,
              targetNode: request.targetNode,
              strategy: request.strategy,
              identitySwap: request.identitySwap,
              reason: "moved by the in-cluster test",
            },
          };
          const file = join(tmpdir(), `${migrationName}.json`);
          await writeFile(file, JSON.stringify(manifest));
          const { stdout } = await kubectl(cluster, ["apply", "-f", file]);
          expect(stdout).toContain(`migration.shadow.io/${migrationName} created`);
          const m = await waitFor(
            `Migration ${migrationName} on the log`,
            60_000,
            readMigration,
            (x) => Boolean(x.status?.migrationId),
          );
          return { migrationId: m.status?.migrationId ?? "" };
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

    // Both rounds restored on the target by the node agent's pod there (the DaemonSet), which
    // logged each restore with the migration's id.
    const [agent] = (
      await kube.core.listNamespacedPod({
        namespace: SHADOW_NAMESPACE,
        labelSelector: `app.kubernetes.io/name=${NODE_AGENT.part}`,
        fieldSelector: `spec.nodeName=${nodeB?.name}`,
      })
    ).items;
    const agentLog = await kube.core.readNamespacedPodLog({
      name: agent?.metadata?.name ?? "",
      namespace: SHADOW_NAMESPACE,
    });
    const restores = agentLog
      .split("\n")
      .filter(
        (line) =>
          line.includes('"restored into the pod"') && line.includes(report.migration.migrationId),
      );
    expect(restores).toHaveLength(2);

    // Its status followed the log: running, step by step, through both rounds of the swap.
    console.log(`Migration statuses seen: ${statuses.join(" → ")}`);
    expect(statuses).toContain("Running 1/checkpoint");
    expect(statuses.some((s) => s.startsWith("Running 2/"))).toBe(true);
    expect(statuses.filter((s) => !/^(Requested|Running|Completed) /.test(s))).toEqual([]);

    // `kubectl get migrations`: completed, with the time it took.
    const done = await waitFor(
      `Migration ${migrationName} Completed`,
      60_000,
      readMigration,
      (x) => x.status?.phase === "Completed",
    );
    expect(done.status?.took).toMatch(/\d/);
    const { stdout } = await kubectl(cluster, [
      "-n",
      WORKLOADS_NAMESPACE,
      "get",
      "migrations",
      migrationName,
    ]);
    console.log(stdout);
    const [header, row] = stdout.trim().split("\n");
    expect(header).toMatch(/NAME\s+PHASE\s+STEP\s+POD\s+WORKLOAD\s+TARGET\s+TOOK\s+AGE/);
    expect(row).toContain(migrationName);
    expect(row).toContain("Completed");
    expect(row).toContain(nodeB?.name ?? "?");

    // The CLI, pointed at the gateway in the cluster, sees it as it sees a local one.
    const cli = { SHADOW_GATEWAY_URL: env.gatewayUrl, SHADOW_TOKEN: GATEWAY_TOKEN };
    const status = await shadow(["status", report.migration.migrationId], cli);
    expect(status.stdout).toContain(report.migration.migrationId);
    expect(status.stdout).toMatch(/completed/);
    const listed = await shadow(["list"], cli);
    expect(listed.stdout).toContain(report.migration.migrationId);

    // One trace across the installed parts, from the controller that read the Migration.
    const traceId = report.migration.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const steps = ["migration-controller", "checkpoint-svc", "image-svc", "restore-svc"];
    const names = await waitFor(
      "the migration's trace in Jaeger",
      60_000,
      async () => {
        const res = await fetch(`${inject("jaegerQueryUrl")}/api/traces/${traceId}`);
        if (!res.ok) return new Set<string>();
        const body = (await res.json()) as {
          data: { processes: Record<string, { serviceName: string }> }[];
        };
        return new Set(Object.values(body.data[0]?.processes ?? {}).map((p) => p.serviceName));
      },
      (found) => [...steps, "fence-svc", "drain-svc"].every((s) => found.has(s)),
    );
    for (const s of steps) expect(names.has(s), s).toBe(true);
  });
});
