import { ensureLocalCluster } from "@shadow/supervisor";
import type { TestProject } from "vitest/node";

/**
 * globalSetup of the `kubernetes` project: brings the local Kubernetes cluster up through
 * `deploy/cluster/cluster.sh up` (idempotent: seconds when it runs, ~15 minutes the first time
 * on a machine, building its binaries) and shadow's node agent on each node (host processes;
 * restarted when their code changed), then provides what both report.
 *
 * deploy/local/test.sh brings the cluster up itself and sets SHADOW_CLUSTER_UP=1; the script
 * then only reports.
 */
export default async function setup(project: TestProject): Promise<void> {
  const { cluster, agents } = await ensureLocalCluster({
    up: process.env.SHADOW_CLUSTER_UP === "1",
  });
  project.provide("cluster", cluster);
  project.provide("agents", agents);
}
