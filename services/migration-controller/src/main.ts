import { createPublisher, serviceSource } from "@shadow/events";
import { loadConfig, startHost } from "@shadow/host";
import { MigrationProjection } from "@shadow/migration";
import { controllerEnv } from "./config.ts";
import { MigrationController } from "./controller.ts";
import { loadKubeConfig, MigrationWriter, makeWatches } from "./kube.ts";
import { followLog } from "./log-feed.ts";

const serviceName = "migration-controller";
const env = loadConfig(serviceName, controllerEnv);
// Hosted like every service: health endpoints, telemetry, the bus's topics, signals.
const host = await startHost({ name: serviceName, env });
const { kafka, logger } = host;
const projection = new MigrationProjection();
const feed = await followLog(kafka, projection, logger);
// A Migration is asked for only when the log holds no migration of its id: not before the
// projection holds the whole log.
await feed.caughtUp;
const kube = loadKubeConfig(env.SHADOW_KUBECONFIG ?? env.KUBECONFIG);
const publisher = createPublisher({ kafka, source: serviceSource(serviceName) });
await publisher.connect();
const controller = new MigrationController({
  watches: makeWatches(kube, env.SHADOW_K8S_NAMESPACE),
  writes: new MigrationWriter(kube),
  projection,
  publisher,
  namespace: env.SHADOW_K8S_NAMESPACE,
  cancelGraceMs: env.SHADOW_CANCEL_GRACE_MS,
  logger,
  now: () => new Date(),
  ...(env.SHADOW_TRACE_UI_URL ? { traceUiUrl: env.SHADOW_TRACE_UI_URL } : {}),
});
await controller.start();

// Ready: its informers listed, and its projection holds the whole log.
host.ready({
  alive: () => controller.alive(),
  fields: { namespace: env.SHADOW_K8S_NAMESPACE, server: kube.getCurrentCluster()?.server },
  async stop() {
    await controller.stop();
    await feed.stop();
    await publisher.disconnect();
  },
});
