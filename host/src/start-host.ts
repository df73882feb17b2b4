import { createLogger, type Logger } from "@shadow/otel/logger";
import { startTelemetry, type Telemetry } from "@shadow/otel/sdk";
import type { Kafka } from "kafkajs";
import { busClient } from "./bus-client.ts";
import type { HostEnv } from "./config.ts";
import { ensureBusTopics } from "./ensure-topics.ts";
import type { HealthReport, HealthStatus } from "./health.ts";
import { startHealthServer } from "./health-server.ts";

export interface HostDefinition {
  name: string;
  env: HostEnv;
  metricsPort?: number | false;
}

/** The process's own work, handed to its host once it runs. */
export interface HostedWork {
  /** Stops taking work and lets what is in hand finish. */
  stop(): Promise<void>;
  /** False once the work has stopped by itself for good (a consumer that crashed and gave up). */
  alive?(): boolean;
  /** Extra fields for the "service started" log record. */
  fields?: Record<string, unknown>;
}

/** What a process's own start-up gets from its host. */
export interface Host {
  telemetry: Telemetry;
  logger: Logger;
  /** A client for the bus, whose topics exist by now. */
  kafka: Kafka;
  /** Base URL of `/health` and `/ready`. */
  healthUrl: string;
  /** The process does its job from now on: `/ready` answers 200, and a signal stops `work`. */
  ready(work: HostedWork): void;
  /** Stops the work (if any), then telemetry and the health endpoints. Once. */
  stop(): Promise<void>;
}

/**
 * Hosts a service's process the same way for every service, the gateway included: health
 * endpoints first (so a supervisor sees it alive while it starts), telemetry before any Kafka
 * client (so kafkajs is instrumented), the bus's topics; the service then starts its own work
 * and calls `ready`. SIGTERM and SIGINT stop it after the work in hand; a process whose work
 * died by itself exits non-zero, so its supervisor restarts it.
 *
 * @example
 * const host = await startHost({ name: "gateway", env });
 * const server = serve({ fetch: app.fetch, port });
 * host.ready({ stop: async () => server.close() });
 */
export async function startHost(definition: HostDefinition): Promise<Host> {
  const { name, env } = definition;
  let status: HealthStatus = "starting";
  let metricsUrl: string | undefined;
  const startedAt = new Date().toISOString();
  const report = (): HealthReport => ({
    service: name,
    status,
    pid: process.pid,
    ...(metricsUrl ? { metrics: metricsUrl } : {}),
    startedAt,
  });
  const health = await startHealthServer(report, env.SHADOW_HEALTH_PORT, env.SHADOW_HEALTH_HOST);
  const telemetry = await startTelemetry({
    serviceName: name,
    ...(definition.metricsPort === undefined ? {} : { metricsPort: definition.metricsPort }),
  });
  metricsUrl = telemetry.metricsUrl;
  const logger = createLogger({ name, level: env.SHADOW_LOG_LEVEL });

  let work: HostedWork | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      clearInterval(watch);
      if (status !== "failed") status = "stopping";
      await work?.stop();
      logger.info("service stopped");
      await telemetry.shutdown();
      await health.close();
    })());
  // From the start: a supervisor killed outright cannot stop its children, so they stop
  // themselves, and a process whose work gave up leaves room for a fresh one.
  const watch = setInterval(() => {
    if (env.SHADOW_SUPERVISOR_PID !== undefined && process.ppid !== env.SHADOW_SUPERVISOR_PID) {
      logger.warn({ supervisor: env.SHADOW_SUPERVISOR_PID }, "supervisor gone: stopping");
      void stop().then(() => process.exit(0));
    } else if (status === "ready" && work?.alive?.() === false) {
      status = "failed";
      logger.error("work stopped by itself: exiting so that it is restarted");
      void stop().then(() => process.exit(1));
    }
  }, 1_000);
  watch.unref();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => void stop().then(() => process.exit(0)));
  }

  const kafka = busClient(name, env.SHADOW_KAFKA_BROKERS);
  await ensureBusTopics(kafka);
  return {
    telemetry,
    logger,
    kafka,
    healthUrl: health.url,
    stop,
    ready(started) {
      work = started;
      // A signal during start-up began the stop already; the process exits once it is done.
      if (stopping) {
        void started.stop();
        return;
      }
      status = "ready";
      logger.info(
        { ...started.fields, health: health.url, metrics: telemetry.metricsUrl },
        "service started",
      );
    },
  };
}
