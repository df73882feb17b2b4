import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import type { V1Pod } from "@kubernetes/client-node";
import { Hono } from "hono";
import type { Logger } from "pino";
import type { DrainMigration } from "./drain.ts";
import { decideEviction, evictionResponse, evictionReviewSchema } from "./eviction.ts";

/** The refusal's message when the pod could not be read. */
const UNREADABLE = "shadow could not read the pod to decide: try again";

export interface EvictionWebhookDeps {
  namespace: string;
  /** The pod an eviction names, or undefined when there is none; throws when it cannot tell. */
  readPod(name: string, namespace: string): Promise<V1Pod | undefined>;
  createMigration(m: DrainMigration): Promise<"created" | "exists">;
  logger: Logger;
}

/**
 * The validating admission webhook on `pods/eviction` (POST /evictions): an eviction of a pod
 * shadow migrates is refused and becomes a Migration (eviction.ts). A refusal does not wait for
 * the Migration: if creating it fails, the pod stays where it is and the next retry of the
 * eviction asks again.
 */
export function evictionWebhookApp(deps: EvictionWebhookDeps): Hono {
  const app = new Hono();
  app.post("/evictions", async (c) => {
    const parsed = evictionReviewSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      return c.json({ error: `not a pods/eviction AdmissionReview: ${parsed.error.message}` }, 400);
    }
    const review = parsed.data;
    const namespace = review.request.namespace ?? deps.namespace;
    let pod: V1Pod | undefined;
    try {
      pod = await deps.readPod(review.request.name, namespace);
    } catch (error) {
      // Not knowing whether the pod is one shadow moves, keep it: drain asks again in 5 s.
      deps.logger.warn({ err: error, pod: review.request.name }, "could not read the evicted pod");
      return c.json(evictionResponse(review, { allowed: false }, UNREADABLE));
    }
    const decision = decideEviction(review, pod, deps.namespace);
    if (decision.migration) {
      const m = decision.migration;
      await deps.createMigration(m).then(
        (result) =>
          deps.logger.info(
            { migration: `${m.metadata.namespace}/${m.metadata.name}`, pod: m.spec.pod, result },
            decision.why,
          ),
        (error: unknown) =>
          deps.logger.warn(
            { err: error, pod: m.spec.pod },
            "could not create the eviction's Migration",
          ),
      );
    } else {
      deps.logger.info({ pod: review.request.name, allowed: decision.allowed }, decision.why);
    }
    return c.json(evictionResponse(review, decision));
  });
  return app;
}

/** Serves the webhook over TLS with the certificate and key in `certDir` (tls.crt, tls.key). */
export function startEvictionWebhook(
  app: Hono,
  options: { certDir: string; host: string; port: number },
): { close(): Promise<void> } {
  const server = serve({
    fetch: app.fetch,
    hostname: options.host,
    port: options.port,
    createServer,
    serverOptions: {
      cert: readFileSync(join(options.certDir, "tls.crt")),
      key: readFileSync(join(options.certDir, "tls.key")),
    },
  });
  return {
    // The API server keeps its connections to a webhook open: closing waits for none of them.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
