import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, stateDir } from "./paths.ts";

/**
 * Brings the local stack up (Kafka, Jaeger, registry, CRIU, runc, nodes) through the project's
 * own idempotent script: seconds when everything is already there.
 */
export async function ensureLocalStack(
  log: (line: string) => void = () => undefined,
): Promise<void> {
  await new Promise<void>((resolveUp, reject) => {
    const child = spawn("bash", [join(repoRoot, "deploy/local/up.sh")], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) log(line);
    };
    child.stdout.on("data", relay);
    child.stderr.on("data", relay);
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolveUp() : reject(new Error(`deploy/local/up.sh exited with ${code}`)),
    );
  });
}

/**
 * The brokers deploy/local/kafka.sh started (every node of a cluster), as it records them in
 * `$SHADOW_STATE/kafka/clients.env`: for host processes, and for instances in node namespaces.
 * Empty lists when nothing is recorded.
 */
export function stackBrokers(): { brokers: string[]; nodeBrokers: string[] } {
  let text = "";
  try {
    text = readFileSync(join(stateDir, "kafka", "clients.env"), "utf8");
  } catch {
    // No broker started by kafka.sh here: the caller's defaults apply.
  }
  const value = (key: string) =>
    (new RegExp(`^${key}=(.*)$`, "m").exec(text)?.[1] ?? "").split(",").filter(Boolean);
  return {
    brokers: value("SHADOW_KAFKA_BROKERS"),
    nodeBrokers: value("SHADOW_NODE_KAFKA_BROKERS"),
  };
}
