import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { clusterInfoSchema } from "./cluster-info.ts";

/**
 * globalSetup of the `kubernetes` project: brings the local Kubernetes cluster up through
 * `deploy/cluster/cluster.sh up` (idempotent: seconds when it runs, ~15 minutes the first time
 * on a machine, building its binaries), then provides what `cluster.sh info` reports.
 *
 * deploy/local/test.sh brings the cluster up itself and sets SHADOW_CLUSTER_UP=1; the script
 * then only reports.
 */
export default async function setup(project: TestProject): Promise<void> {
  if (process.env.SHADOW_CLUSTER_UP !== "1") {
    await runClusterScript("up");
  }
  const { stdout } = await promisify(execFile)("bash", [clusterScript, "info"], { cwd: repoRoot });
  project.provide("cluster", clusterInfoSchema.parse(JSON.parse(stdout)));
}

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const clusterScript = "deploy/cluster/cluster.sh";

function runClusterScript(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdin closed, and the daemons get their own log files: nothing here waits on a pipe a
    // daemon still holds.
    const child = spawn("bash", [clusterScript, command], {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${clusterScript} ${command} failed (${signal ?? `exit ${code}`})`));
    });
  });
}
