import { timingSafeEqual } from "node:crypto";
import {
  adoptArchiveRequest,
  buildImageRequest,
  checkpointRequest,
  cpuRequest,
  identityRequest,
  preflightRequest,
  pullRequest,
  restoreRequest,
  thawRequest,
} from "@shadow/runtime/kubernetes/agent-protocol";
import { Hono } from "hono";
import type { z } from "zod";
import { adoptArchive } from "./archives.ts";
import { checkpointRestored } from "./checkpoint.ts";
import type { AgentDeps } from "./deps.ts";
import { AgentError, errorBody } from "./errors.ts";
import { buildImage, preflight, receiveImage } from "./images.ts";
import { capKubeletContainer, thawContainer } from "./kubelet-cgroup.ts";
import { findRecord } from "./records.ts";
import { agentState, releaseMigration } from "./release.ts";
import { restoreIntoPod, writeIdentity } from "./restore.ts";

/**
 * The agent's HTTP API (see runtime/src/kubernetes/agent-protocol.ts). Every call but
 * `/healthz` needs the bearer token; every body is validated before anything happens.
 */
export function createAgentApp(deps: AgentDeps): Hono {
  const app = new Hono();
  const token = Buffer.from(deps.config.token);
  app.get("/healthz", (c) => c.json({ node: deps.config.node, ok: true }));
  app.use("/v1/*", async (c, next) => {
    const given = Buffer.from((c.req.header("authorization") ?? "").replace(/^Bearer /, ""));
    if (given.length !== token.length || !timingSafeEqual(given, token)) {
      return c.json({ error: "unauthorized", code: "UNAUTHORIZED", retryable: false }, 401);
    }
    await next();
  });
  app.onError((error, c) => {
    const { status, body } = errorBody(error);
    deps.log.warn({ err: error, path: c.req.path }, "request failed");
    return c.json(body, status);
  });

  const body = async <T extends z.ZodType>(c: { req: { json(): Promise<unknown> } }, schema: T) => {
    const parsed = schema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success)
      throw new AgentError(
        "BAD_REQUEST",
        400,
        parsed.error.issues.map((i) => i.message).join("; "),
      );
    return parsed.data as z.infer<T>;
  };

  app.post("/v1/archives", async (c) =>
    c.json(await adoptArchive(deps, await body(c, adoptArchiveRequest), Date.now())),
  );
  app.post("/v1/checkpoints", async (c) =>
    c.json(await checkpointRestored(deps, await body(c, checkpointRequest))),
  );
  app.post("/v1/images", async (c) =>
    c.json(await buildImage(deps, await body(c, buildImageRequest))),
  );
  app.post("/v1/pulls", async (c) => {
    const req = await body(c, pullRequest);
    return c.json({ pullMs: await receiveImage(deps, req.migrationId, req.image) });
  });
  app.post("/v1/preflight", async (c) => {
    const req = await body(c, preflightRequest);
    return c.json(await preflight(deps, req.migrationId, req.image));
  });
  app.post("/v1/restores", async (c) =>
    c.json(await restoreIntoPod(deps, await body(c, restoreRequest))),
  );
  app.put("/v1/identities", async (c) => {
    const req = await body(c, identityRequest);
    const record = await findRecord(deps.layout, req.pod.uid);
    if (!record)
      throw new AgentError(
        "UNKNOWN_INSTANCE",
        404,
        `this agent restored nothing into pod ${req.pod.name}`,
      );
    await writeIdentity(`${deps.layout.container(record.id)}/identity`, req.identity);
    return c.json({ ok: true });
  });
  app.put("/v1/cpu", async (c) => {
    const req = await body(c, cpuRequest);
    if (req.container) {
      await capKubeletContainer(deps, req.pod.uid, req.container, req.quotaUs ?? -1);
      return c.json({ ok: true });
    }
    const record = await findRecord(deps.layout, req.pod.uid);
    if (!record)
      throw new AgentError(
        "UNKNOWN_INSTANCE",
        404,
        `this agent restored nothing into pod ${req.pod.name}`,
      );
    await deps.runc.update(record.id, { shares: req.shares, quotaUs: req.quotaUs });
    return c.json({ ok: true });
  });
  app.post("/v1/thaw", async (c) => {
    const req = await body(c, thawRequest);
    return c.json({ before: await thawContainer(deps, req.pod.uid, req.container) });
  });
  app.delete("/v1/migrations/:id", async (c) =>
    c.json({ removed: await releaseMigration(deps, c.req.param("id")) }),
  );
  app.get("/v1/state", async (c) => c.json(await agentState(deps)));
  return app;
}
