import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@shadow/scenario";
import { repoRoot } from "./repo-root.ts";

export interface GatewayProcess {
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Another gateway, as a second replica would run: its own process and port, the same broker
 * and token, its own projection of the same log. Resolves once it answers.
 */
export async function startGateway(options: {
  port: number;
  brokers: string[];
  token: string;
  /** More environment, e.g. SHADOW_VERDICT_TIMEOUT_MS. */
  env?: Record<string, string>;
}): Promise<GatewayProcess> {
  const logFile = join(tmpdir(), `shadow-gateway-${options.port}.log`);
  const out = createWriteStream(logFile, { flags: "a" });
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      join(repoRoot, "node_modules/tsx/dist/esm/index.mjs"),
      join(repoRoot, "services/gateway/src/main.ts"),
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        SHADOW_KAFKA_BROKERS: options.brokers.join(","),
        SHADOW_GATEWAY_PORT: String(options.port),
        SHADOW_TOKEN: options.token,
        SHADOW_METRICS_PORT: "0",
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitFor(`the gateway on ${options.port} (log: ${logFile})`, 90_000, async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
      return (await fetch(`${url}/healthz`)).ok ? true : undefined;
    });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    url,
    logFile,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
