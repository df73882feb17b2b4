import { renderTimelineSvg, timelineOf } from "@shadow/timeline";
import { Hono } from "hono";
import type { GatewayDeps } from "../deps.ts";

/**
 * A migration's timeline: `GET /migrations/:id/timeline` (the data: phases, freezes, fences,
 * handovers from its events; each copy's activity and the live lag from what the gateway
 * sampled while it ran) and `GET /migrations/:id/timeline.svg` (the same as a picture).
 */
export function timelineRoutes(deps: Pick<GatewayDeps, "projection" | "samplesOf" | "now">) {
  const app = new Hono();
  const timelineFor = (id: string) => {
    const view = deps.projection.get(id);
    if (!view) return undefined;
    return timelineOf(view, deps.samplesOf?.(id), { now: deps.now().getTime() });
  };
  app.get("/:id/timeline", (c) => {
    const timeline = timelineFor(c.req.param("id"));
    if (!timeline)
      return c.json({ error: `no migration ${c.req.param("id")}`, code: "UNKNOWN_MIGRATION" }, 404);
    return c.json(timeline);
  });
  app.get("/:id/timeline.svg", (c) => {
    const timeline = timelineFor(c.req.param("id"));
    if (!timeline)
      return c.json({ error: `no migration ${c.req.param("id")}`, code: "UNKNOWN_MIGRATION" }, 404);
    return c.body(renderTimelineSvg(timeline), 200, {
      "content-type": "image/svg+xml; charset=utf-8",
    });
  });
  return app;
}
