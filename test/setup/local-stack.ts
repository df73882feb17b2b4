import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import type { ProvidedContext } from "vitest";
import type { TestProject } from "vitest/node";
import { stackEndpoints } from "./endpoints.ts";

/**
 * globalSetup of the `integration` project: makes sure the real local stack (Kafka, Jaeger,
 * the runtime's nodes) is up and healthy, then provides its addresses to the tests
 * (see provided-context.d.ts).
 *
 * deploy/local/test.sh brings the stack up itself and sets SHADOW_STACK_UP=1; a developer
 * running `npx vitest --project integration` directly gets `deploy/local/up.sh` run here
 * (idempotent: a few seconds when everything is already running).
 */
export default async function setup(project: TestProject): Promise<void> {
  await ensureStack();
  // Read after up.sh: kafka.sh records there which brokers it started.
  const endpoints = stackEndpoints();
  await waitForKafka(endpoints.kafkaBrokers, 60_000);
  await waitForJaeger(endpoints.jaegerQueryUrl, 30_000);
  provideAll(project, endpoints);
}

/** Runs deploy/local/up.sh unless the caller says the stack is up (SHADOW_STACK_UP=1). */
export async function ensureStack(): Promise<void> {
  if (process.env.SHADOW_STACK_UP !== "1") await runUpScript();
}

export function provideAll(project: TestProject, context: ProvidedContext): void {
  for (const [key, value] of Object.entries(context)) {
    project.provide(key as keyof ProvidedContext, value as never);
  }
}

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

function runUpScript(): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdin closed and the daemons up.sh starts get their own log files, so nothing here
    // waits on a pipe a daemon still holds.
    const child = spawn("bash", ["deploy/local/up.sh"], {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`deploy/local/up.sh failed (${signal ?? `exit ${code}`})`));
    });
  });
}

async function waitForKafka(brokers: string[], timeoutMs: number): Promise<void> {
  const admin = new Kafka({
    clientId: "shadow-test-setup",
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  await pollUntil(`Kafka at ${brokers.join(",")}`, timeoutMs, async () => {
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.controller !== null && cluster.controller >= 0;
    } finally {
      await admin.disconnect();
    }
  });
}

export async function waitForJaeger(queryUrl: string, timeoutMs: number): Promise<void> {
  await pollUntil(`Jaeger query API at ${queryUrl}`, timeoutMs, async () => {
    const response = await fetch(`${queryUrl}/api/services`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  });
}

async function pollUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} not healthy after ${timeoutMs} ms; run deploy/local/status.sh`, {
    cause: lastError,
  });
}
