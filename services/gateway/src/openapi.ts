import { z } from "zod";
import { migrationRequestBody } from "./request.ts";

const error = {
  type: "object",
  properties: { error: { type: "string" }, code: { type: "string" } },
};

/** The gateway's OpenAPI 3.1 document; request schemas come from the same zod schemas it validates with. */
export function openApiDocument() {
  const ref = (status: string, description: string) => ({
    [status]: { description, content: { "application/json": { schema: error } } },
  });
  return {
    openapi: "3.1.0",
    info: {
      title: "shadow gateway",
      version: "1.0.0",
      description: "Start and watch live migrations",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { MigrationRequest: z.toJSONSchema(migrationRequestBody, { io: "input" }) },
    },
    security: [{ bearer: [] }],
    paths: {
      "/migrations": {
        post: {
          summary: "Start a migration (emits MigrationRequested)",
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/MigrationRequest" } },
            },
          },
          responses: {
            "202": { description: "Admitted: the log's verdict is that the migration runs" },
            ...ref("400", "Malformed body"),
            ...ref("401", "Missing or wrong bearer token"),
            ...ref("404", "Unknown workload, or its source is not running where it was"),
            ...ref(
              "409",
              "Refused: another migration of the workload was under way at the request's place in the log (runningMigrationId names it)",
            ),
            ...ref(
              "422",
              "Unknown or unusable target node, or strategy shadow for a workload that cannot fence (use sequential or auto)",
            ),
            ...ref("503", "The runtime could not be asked about the request"),
            ...ref(
              "504",
              "No verdict in time: the request is on the log and will be answered there (Location)",
            ),
          },
        },
        get: {
          summary: "Every migration, as projected from the event log",
          responses: { "200": { description: "OK" } },
        },
      },
      "/migrations/{id}": {
        get: {
          summary: "One migration: phase, per-phase timings, lag, trace id",
          parameters: [
            { name: "id", in: "path", required: true, schema: { type: "string" } },
            {
              name: "lag",
              in: "query",
              required: false,
              description:
                "`live`: during catch-up, also read the shadow's lag behind the source from both instances (liveLag)",
              schema: { type: "string", enum: ["live"] },
            },
          ],
          responses: { "200": { description: "OK" }, ...ref("404", "Unknown migration") },
        },
      },
      "/migrations/{id}/events": {
        get: {
          summary: "Live progress as server-sent events, until the migration ends",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "text/event-stream of migration views" } },
        },
      },
      "/migrations/{id}/timeline": {
        get: {
          summary:
            "The migration on one time axis: phases, freezes, fences and handovers from its events; each copy's records per 100 ms and the catch-up lag from the gateway's samples",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: "the timeline (JSON)" },
            "404": { description: "no such migration" },
          },
        },
      },
      "/migrations/{id}/timeline.svg": {
        get: {
          summary: "The same timeline as an SVG picture",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: "image/svg+xml" },
            "404": { description: "no such migration" },
          },
        },
      },
    },
  };
}
