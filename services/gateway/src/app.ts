import { hasEnded, type MigrationView } from "@shadow/migration";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import { streamSSE } from "hono/streaming";
import type { GatewayDeps } from "./deps.ts";
import { RequestRefused } from "./errors.ts";
import { withLiveLag } from "./live-lag.ts";
import { openApiDocument } from "./openapi.ts";
import { migrationRequestBody } from "./request.ts";
import { createMigration } from "./routes/create-migration.ts";
import { timelineRoutes } from "./routes/timeline.ts";

/**
 * The gateway's HTTP API. Reads come from the projection of the event log; the only write is
 * emitting MigrationRequested, answered with the log's verdict on it: 202 admitted, 409 another
 * migration of the workload under way (named), 4xx a place that is not real, 504 no verdict in
 * time.
 */
export function createGateway(deps: GatewayDeps) {
  const app = new Hono();

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/openapi.json", (c) => c.json(openApiDocument()));

  app.use("/migrations/*", bearerAuth({ token: deps.token }));
  app.use("/migrations", bearerAuth({ token: deps.token }));

  app.post("/migrations", async (c) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return c.json({ error: "body is not valid JSON", code: "MALFORMED_BODY" }, 400);
    }
    const parsed = migrationRequestBody.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
      return c.json({ error: issues.join("; "), code: "INVALID_BODY" }, 400);
    }
    const by = c.req.header("x-shadow-client") === "cli" ? "cli" : "http";
    const accepted = await createMigration(parsed.data, by, deps);
    return c.json(accepted, 202, { Location: `/migrations/${accepted.migrationId}` });
  });

  app.get("/migrations", (c) => c.json({ migrations: deps.projection.list() }));
  app.route("/migrations", timelineRoutes(deps));

  app.get("/migrations/:id", async (c) => {
    const view = deps.projection.get(c.req.param("id"));
    if (!view)
      return c.json({ error: `no migration ${c.req.param("id")}`, code: "UNKNOWN_MIGRATION" }, 404);
    return c.json(c.req.query("lag") === "live" ? await withLiveLag(view, deps) : view);
  });

  app.get("/migrations/:id/events", (c) => {
    const id = c.req.param("id");
    if (!deps.projection.get(id)) {
      return c.json({ error: `no migration ${id}`, code: "UNKNOWN_MIGRATION" }, 404);
    }
    return streamSSE(c, async (stream) => {
      let done = false;
      let wake: () => void = () => undefined;
      const send = async (view: MigrationView) => {
        await stream.writeSSE({
          event: "migration",
          data: JSON.stringify(view),
          id: view.updatedAt,
        });
        if (hasEnded(view)) done = true;
      };
      const unsubscribe = deps.projection.subscribe((view) => {
        if (view.migrationId !== id) return;
        void send(view).then(() => wake());
      });
      stream.onAbort(() => {
        done = true;
        wake();
      });
      const first = deps.projection.get(id);
      if (first) await send(first);
      while (!done) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 15_000);
        });
        if (!done) await stream.writeSSE({ event: "ping", data: "" });
      }
      unsubscribe();
    });
  });

  app.onError((error, c) => {
    if (error instanceof RequestRefused) {
      const location = error.details.migrationId
        ? { Location: `/migrations/${error.details.migrationId}` }
        : undefined;
      return c.json(
        { error: error.message, code: error.code, ...error.details },
        error.status,
        location,
      );
    }
    if (error instanceof HTTPException) return error.getResponse();
    return c.json({ error: `internal error: ${error.message}`, code: "INTERNAL" }, 500);
  });

  return app;
}
