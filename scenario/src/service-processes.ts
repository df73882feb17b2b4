import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { groupId } from "@shadow/events";
import { Kafka, logLevel } from "kafkajs";
import { logDir, repoRoot } from "./paths.ts";

/** Every service of the choreography, by the package folder that holds its main. */
export const choreographyServices = [
  "admission-svc",
  "checkpoint-svc",
  "image-svc",
  "restore-svc",
  "fence-svc",
  "drain-svc",
  "gateway",
] as const;
export type ServiceName = (typeof choreographyServices)[number];

/** What a service logs once it consumes (or, for the gateway, serves). */
const upMessage = /"msg":"(service started|gateway listening)"/;

function metricsUrlOf(logLine: string): string | undefined {
  try {
    const { metrics } = JSON.parse(logLine) as { metrics?: unknown };
    return typeof metrics === "string" ? metrics : undefined;
  } catch {
    return undefined;
  }
}

export interface ServiceProcessesOptions {
  env: Record<string, string>;
  brokers: string[];
  gatewayUrl: string;
  /** Distinguishes this run's consumer groups from any other run's. */
  shadowEnv: string;
}

/**
 * The choreography's services as separate processes, as in production: each its own main,
 * its own consumer group, its own log file. Kill one with SIGKILL and restart it to test
 * crash safety.
 */
export class ServiceProcesses {
  readonly #children = new Map<ServiceName, ChildProcess>();
  /** Services whose current process has said it is up (see `start`). */
  readonly #up = new Set<ServiceName>();
  /** Where each service's current process serves its Prometheus metrics, as it logged. */
  readonly #metrics = new Map<ServiceName, string>();
  readonly #options: ServiceProcessesOptions;

  constructor(options: ServiceProcessesOptions) {
    this.#options = options;
    mkdirSync(logDir, { recursive: true });
  }

  start(name: ServiceName): void {
    const out = createWriteStream(join(logDir, `${name}.log`), { flags: "a" });
    const child = spawn(
      process.execPath,
      [
        "--import",
        join(repoRoot, "node_modules/tsx/dist/esm/index.mjs"),
        join(repoRoot, "services", name, "src/main.ts"),
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, ...this.#options.env, SHADOW_ENV: this.#options.shadowEnv },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    // Up = the service logged it: a service starts its consumer only after it has given a new
    // group its offsets, which takes seconds, while that step's own short-lived member already
    // makes the group look stable to anyone describing it.
    this.#up.delete(name);
    this.#metrics.delete(name);
    let pending = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines.filter((l) => upMessage.test(l))) {
        this.#up.add(name);
        const metrics = metricsUrlOf(line);
        if (metrics) this.#metrics.set(name, metrics);
      }
    });
    this.#children.set(name, child);
  }

  /** The service's Prometheus endpoint, once its current process is up. */
  metricsUrl(name: ServiceName): string | undefined {
    return this.#metrics.get(name);
  }

  async startAll(): Promise<void> {
    // Children must not outlive the harness, whatever way it ends.
    process.once("exit", () => {
      for (const child of this.#children.values()) child.kill("SIGKILL");
    });
    for (const name of choreographyServices) this.start(name);
    try {
      await this.waitReady();
    } catch (error) {
      await this.stopAll();
      throw error;
    }
  }

  /** Ready = every consumer group has a stable member and the gateway answers. */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const kafka = new Kafka({
      clientId: "shadow-scenario",
      brokers: this.#options.brokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const groups = choreographyServices
        .filter((s) => s !== "gateway")
        .map((s) => groupId(s, this.#options.shadowEnv));
      for (;;) {
        for (const [name, child] of this.#children) {
          if (child.exitCode !== null) {
            throw new Error(
              `${name} exited with ${child.exitCode}; see ${join(logDir, `${name}.log`)}`,
            );
          }
        }
        const described = await admin.describeGroups(groups).catch(() => ({ groups: [] }));
        const stable = described.groups.filter(
          (g) => g.state === "Stable" && g.members.length > 0,
        ).length;
        const gatewayUp = await fetch(`${this.#options.gatewayUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        const up = choreographyServices.every((name) => this.#up.has(name));
        if (up && stable === groups.length && gatewayUp) return;
        if (Date.now() > deadline) {
          throw new Error(
            `services not ready after ${timeoutMs} ms (${this.#up.size}/${choreographyServices.length} started, ${stable}/${groups.length} groups stable, gateway ${gatewayUp ? "up" : "down"})`,
          );
        }
        await sleep(250);
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** SIGKILL: the service gets no chance to finish or commit what it has in hand. */
  async kill(name: ServiceName): Promise<void> {
    const child = this.#children.get(name);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  async restart(name: ServiceName): Promise<void> {
    await this.kill(name);
    this.start(name);
    await this.waitReady();
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#children.values()].map(async (child) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.#children.clear();
  }
}
