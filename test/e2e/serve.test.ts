import { randomBytes } from "node:crypto";
import type { HealthReport } from "@shadow/host";
import type { MigrationView } from "@shadow/migration";
import { formatReport, gateway, runScenario, waitFor, workloadEnvironment } from "@shadow/scenario";
import { freePorts } from "@shadow/supervisor";
import { Kafka, logLevel } from "kafkajs";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { readyLine, type ServeRun, startServe } from "./shadow-serve.ts";
import { workloadName } from "./workload-name.ts";

/**
 * `shadow serve` as the product: its own supervisor, consumer groups that keep their names
 * across starts, readiness from the services' health endpoints. Each test runs its own serve
 * with a group env, ports and a bus namespace of its own, so it shares nothing with other tests'
 * services.
 */
let serveEnv: Record<string, string>;
let running: ServeRun[] = [];
beforeAll(async () => {
  const [gatewayPort] = await freePorts(1);
  process.env.SHADOW_KAFKA_BROKERS = inject("kafkaBrokers").join(",");
  process.env.SHADOW_NODE_KAFKA_BROKERS = inject("kafkaNodeBrokers").join(",");
  process.env.SHADOW_JAEGER_QUERY = inject("jaegerQueryUrl");
  // Topics of its own too (serve inherits this), so no other run's services act on its events.
  process.env.SHADOW_BUS_NAMESPACE = `e2e-serve-${randomBytes(3).toString("hex")}`;
  serveEnv = {
    SHADOW_GATEWAY_PORT: String(gatewayPort),
    SHADOW_HEALTH_PORT_BASE: "0",
    SHADOW_METRICS_PORT_BASE: "0",
    SHADOW_TOKEN: "shadow-e2e-serve",
  };
});
afterEach(async () => {
  await Promise.all(running.map((r) => r.stop("SIGTERM")));
  running = [];
});

function serve(env: Record<string, string>): ServeRun {
  const run = startServe({ ...serveEnv, ...env });
  running.push(run);
  return run;
}

const groupEnv = () => `e2e-serve-${randomBytes(3).toString("hex")}`;

async function readyReport(health: string): Promise<HealthReport | undefined> {
  const res = await fetch(`${health}/ready`, { signal: AbortSignal.timeout(1_000) });
  return res.ok ? ((await res.json()) as HealthReport) : undefined;
}

describe("shadow serve", () => {
  it("restarts a service killed with SIGKILL by itself, ready again by its health endpoint, in the same group", {
    timeout: 240_000,
  }, async () => {
    const env = groupEnv();
    const run = serve({ SHADOW_ENV: env });
    await run.line(/services up; gateway at/);
    const killed = await readyLine(run, "fence-svc");
    expect((await readyReport(killed.health))?.pid).toBe(killed.pid);

    process.kill(killed.pid, "SIGKILL");
    await run.line(
      new RegExp(
        `fence-svc: service exited: restarting after backoff \\(pid=${killed.pid} signal=SIGKILL`,
      ),
    );
    const restarted = await waitFor("fence-svc ready again", 90_000, async () => {
      const report = await readyReport(killed.health);
      return report && report.pid !== killed.pid ? report : undefined;
    });
    console.log(run.output());
    expect(restarted).toMatchObject({ service: "fence-svc", status: "ready" });
    expect((await readyLine(run, "fence-svc", 1)).pid).toBe(restarted.pid);
    // The restarted process joined the group the killed one had, not a new one.
    const admin = new Kafka({
      clientId: "e2e-serve",
      brokers: inject("kafkaBrokers"),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const group = await waitFor("the group to have one member", 30_000, async () => {
        const [g] = (await admin.describeGroups([`shadow.fence-svc.${env}`])).groups;
        return g?.state === "Stable" && g.members.length === 1 ? g : undefined;
      });
      expect(group.members[0]?.clientId).toBe("fence-svc");
    } finally {
      await admin.disconnect();
    }

    expect(await run.stop("SIGTERM")).toBe(0);
    expect(run.output()).toMatch(/services stopped\n$/);
    // Nothing answers any more: the supervisor stopped what it had started.
    await expect(readyReport(killed.health)).rejects.toThrow();
  });

  it("restarted as a whole during a migration's image phase, lets the migration complete: nothing lost or duplicated", {
    timeout: 420_000,
  }, async () => {
    const env = groupEnv();
    let current = serve({ SHADOW_ENV: env });
    await current.line(/services up; gateway at/);
    const workloadEnv = {
      ...(await workloadEnvironment(`http://127.0.0.1:${serveEnv.SHADOW_GATEWAY_PORT}`)),
      token: serveEnv.SHADOW_TOKEN as string,
    };
    let phaseAtStop: string | undefined;
    let restartMs = 0;
    const report = await runScenario(
      workloadEnv,
      {
        workload: workloadName("serve-restart"),
        strategy: "shadow",
        identitySwap: false,
        rate: 40,
        partitions: 2,
        // State makes the image phase last seconds (build, push, pull), long enough to stop
        // every service inside it.
        ballastMb: 256,
        warmupMs: 3_000,
        cooldownMs: 2_000,
      },
      (line) => console.log(line),
      {
        async onMigrationStarted(migrationId) {
          const view = await waitFor("the image phase", 60_000, async () => {
            const v = await gateway<MigrationView>(
              workloadEnv,
              "GET",
              `/migrations/${migrationId}`,
            );
            return v.phase === "image" || v.status !== "running" ? v : undefined;
          });
          phaseAtStop = view.status === "running" ? view.phase : view.status;
          const stoppedAt = Date.now();
          expect(await current.stop("SIGTERM")).toBe(0);
          console.log(current.output());
          current = serve({ SHADOW_ENV: env });
          await current.line(/services up; gateway at/);
          restartMs = Date.now() - stoppedAt;
        },
      },
    );
    console.log(`shadow serve stopped in phase ${phaseAtStop}, up again after ${restartMs} ms`);
    console.log(formatReport(report));
    expect(phaseAtStop).toBe("image");
    expect(report.migration.status).toBe("completed");
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBe(0);
    expect(report.instancesAfter).toHaveLength(1);
    expect(report.instancesAfter[0]).toMatchObject({ node: "node-b", mode: "primary" });
  });
});
