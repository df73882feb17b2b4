import { existsSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { createPublisher, serviceSource } from "@shadow/events";
import { loadConfig, startHost } from "@shadow/host";
import { MigrationProjection } from "@shadow/migration";
import { controllerEnv } from "./config.ts";
import { MigrationController } from "./controller.ts";
import { evictionWebhookApp, startEvictionWebhook } from "./eviction-webhook.ts";
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
const watches = makeWatches(kube, env.SHADOW_K8S_NAMESPACE);
const writes = new MigrationWriter(kube);
const controller = new MigrationController({
  watches,
  writes,
  projection,
  publisher,
  namespace: env.SHADOW_K8S_NAMESPACE,
  cancelGraceMs: env.SHADOW_CANCEL_GRACE_MS,
  logger,
  now: () => new Date(),
  ...(env.SHADOW_TRACE_UI_URL ? { traceUiUrl: env.SHADOW_TRACE_UI_URL } : {}),
});
await controller.start();

const core = kube.makeApiClient(CoreV1Api);
// The certificate's Secret is optional: an install without it has no webhook.
const certDir = env.SHADOW_WEBHOOK_CERT_DIR;
const hasCertificate = certDir !== undefined && existsSync(join(certDir, "tls.crt"));
if (certDir && !hasCertificate) {
  logger.info({ certDir }, "no certificate for the eviction webhook: evictions are not answered");
}
const webhook = hasCertificate
  ? startEvictionWebhook(
      evictionWebhookApp({
        namespace: env.SHADOW_K8S_NAMESPACE,
        // The watch's copy, else the API's: a pod made a moment ago may not be in it yet.
        readPod: async (name, namespace) =>
          watches.pods.get(name, namespace) ??
          (await core.readNamespacedPod({ name, namespace }).catch((error: { code?: number }) => {
            if (error.code === 404) return undefined;
            throw error;
          })),
        createMigration: (m) => writes.createMigration(m),
        logger,
      }),
      {
        certDir,
        host: env.SHADOW_WEBHOOK_HOST,
        port: env.SHADOW_WEBHOOK_PORT,
      },
    )
  : undefined;

// Ready: its informers listed, and its projection holds the whole log.
host.ready({
  alive: () => controller.alive(),
  fields: { namespace: env.SHADOW_K8S_NAMESPACE, server: kube.getCurrentCluster()?.server },
  async stop() {
    await webhook?.close();
    await controller.stop();
    await feed.stop();
    await publisher.disconnect();
  },
});
