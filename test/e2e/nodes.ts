import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./repo-root.ts";

const run = promisify(execFile);

/**
 * Adds a node (a network namespace on the bridge) with the given instance capacity, and memory
 * capacity when given (default: nodes.sh's share of the machine's memory).
 */
export async function addNode(
  name: string,
  instances: number,
  memoryBytes?: number,
): Promise<void> {
  const args = [join(repoRoot, "deploy/local/nodes.sh"), "add", name, String(instances)];
  if (memoryBytes !== undefined) args.push(String(memoryBytes));
  await run("bash", args);
}

/** Removes a node as if it vanished: its namespace and state go away. */
export async function removeNode(name: string): Promise<void> {
  await run("bash", [join(repoRoot, "deploy/local/nodes.sh"), "remove", name]);
}
