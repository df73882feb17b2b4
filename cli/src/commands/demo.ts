import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  createScenarioEnvironment,
  ensureLocalStack,
  formatReport,
  runScenario,
  type ScenarioEnvironment,
  type ScenarioOptions,
} from "@shadow/scenario";
import { ensureLocalCluster, localClusterRuntimeEnv } from "@shadow/supervisor";
import { renderTimelineSvg } from "@shadow/timeline";

export type DemoRuntime = "local" | "kubernetes";

/**
 * `shadow demo`: the example service under load, a live migration with identity swap, and the
 * report. Exit code 0 only when the migration completed with nothing lost or duplicated and no
 * downtime.
 *
 * - `local` (the default): the embedded stack, `orders-0` moved from node-a to node-b.
 * - `kubernetes`: the same services on the kubernetes runtime against the project's local
 *   cluster (a real control plane, two kubelets with containerd), brought up first; the
 *   example service runs as the StatefulSet `orders`, and its pod `orders-0` moves from the
 *   first node to the second and ends under its ordinal name, owned by the set.
 */
export async function runDemo(
  out: (line: string) => void,
  runtime: DemoRuntime = "local",
): Promise<number> {
  const started = Date.now();
  const log = (line: string) => out(`  ${line}`);
  const setup = runtime === "kubernetes" ? await kubernetesDemo(log) : await localDemo(log);
  try {
    const report = await runScenario(
      setup.env,
      {
        workload: "orders-0",
        strategy: "shadow",
        identitySwap: true,
        rate: 60,
        partitions: 4,
        ...setup.options,
      },
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
    await setup.close();
  }
}

interface DemoSetup {
  env: ScenarioEnvironment;
  options: ScenarioOptions;
  close(): Promise<void>;
}

async function localDemo(log: (line: string) => void): Promise<DemoSetup> {
  const env = await createScenarioEnvironment({ log });
  return { env, options: {}, close: () => env.close() };
}

/**
 * The local stack (Kafka, Jaeger, the registry), the local cluster and its node agents, and the
 * services on the kubernetes runtime in a namespace of the demo's own, deleted at the end.
 */
async function kubernetesDemo(log: (line: string) => void): Promise<DemoSetup> {
  log("bringing up the local stack (Kafka, Jaeger, registry, CRIU, runc)");
  await ensureLocalStack(log);
  log("bringing up the local Kubernetes cluster (control plane, two kubelets, node agents)");
  const local = await ensureLocalCluster({ log });
  const [source, target] = local.cluster.nodes;
  if (!source || !target) throw new Error("the local cluster has fewer than two nodes");
  const namespace = `shadow-demo-${randomBytes(3).toString("hex")}`;
  const kubectl = (...args: string[]) =>
    promisify(execFile)(local.cluster.tools.kubectl, [
      "--kubeconfig",
      local.cluster.kubeconfig,
      ...args,
    ]);
  await kubectl("create", "namespace", namespace);
  log(`namespace ${namespace}: the StatefulSet orders, one replica on ${source.name}`);
  let env: ScenarioEnvironment | undefined;
  try {
    env = await createScenarioEnvironment({
      log,
      stackUp: true,
      runtimeEnv: localClusterRuntimeEnv(local, namespace),
      kubernetesWorkload: "statefulset",
      // Pods, kubelet checkpoints and image pushes: steps take seconds, not the embedded
      // runtime's hundreds of milliseconds.
      serviceEnv: { SHADOW_STEP_DEADLINE_MS: "240000" },
    });
  } catch (error) {
    await kubectl("delete", "namespace", namespace, "--wait=false").catch(() => undefined);
    throw error;
  }
  const ready = env;
  return {
    env: ready,
    options: {
      sourceNode: source.name,
      targetNode: target.name,
      rate: 30,
      partitions: 2,
      costMs: 5,
      warmupMs: 4_000,
      migrationTimeoutMs: 600_000,
    },
    async close() {
      await ready.close();
      await kubectl("delete", "namespace", namespace, "--wait=false").catch(() => undefined);
    },
  };
}
