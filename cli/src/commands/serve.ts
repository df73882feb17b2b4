import {
  choreographySpecs,
  defaultLogDir,
  ensureLocalStack,
  loadServeConfig,
  Supervisor,
} from "@shadow/supervisor";
import { lineLog } from "../supervisor-log.ts";

/**
 * `shadow serve`: the local stack and the seven services under the CLI's supervisor, in the
 * foreground until SIGINT or SIGTERM, so `shadow migrate` and `POST /migrations` have something
 * to talk to. Consumer groups keep their names across starts (`shadow.<service>.<SHADOW_ENV>`),
 * so a service started again, alone or with all the others, resumes where its group stood.
 */
export async function serve(out: (line: string) => void): Promise<number> {
  const config = loadServeConfig();
  out("bringing up the local stack (Kafka, Jaeger, registry, CRIU, runc, nodes)");
  await ensureLocalStack((line) => out(`  ${line}`));
  const supervisor = new Supervisor({
    services: await choreographySpecs({
      shadowEnv: config.SHADOW_ENV,
      gatewayPort: config.SHADOW_GATEWAY_PORT,
      healthPortBase: config.SHADOW_HEALTH_PORT_BASE,
      metricsPortBase: config.SHADOW_METRICS_PORT_BASE,
    }),
    logDir: defaultLogDir,
    log: lineLog(out),
    stopGraceMs: config.SHADOW_STOP_GRACE_MS,
    restart: { maxDelayMs: config.SHADOW_RESTART_MAX_DELAY_MS },
  });
  // Listening before the start: a signal while the services start stops them too.
  let signals = 0;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) resolve(signal);
      else {
        out("second signal: killing the services now");
        supervisor.killAll();
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  out(
    `starting the services (consumer groups shadow.<service>.${config.SHADOW_ENV}; logs in ${defaultLogDir})`,
  );
  const started = supervisor.startAll().then(
    () => true,
    (error: unknown) => {
      if (signals === 0) out(`shadow: ${(error as Error).message}`);
      return false;
    },
  );
  const first = await Promise.race([started, stopRequested]);
  if (first === true) {
    out(
      `services up; gateway at http://127.0.0.1:${config.SHADOW_GATEWAY_PORT} (bearer token from SHADOW_TOKEN); Ctrl-C stops them`,
    );
  }
  if (first === false) return 1;
  const signal = await stopRequested;
  out(
    `${signal}: stopping the services (SIGTERM, SIGKILL after ${config.SHADOW_STOP_GRACE_MS} ms; a second Ctrl-C kills them now)`,
  );
  await supervisor.stopAll();
  await started;
  out("services stopped");
  return 0;
}
