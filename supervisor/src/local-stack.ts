import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./paths.ts";

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
