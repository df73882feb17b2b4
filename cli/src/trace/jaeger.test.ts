import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findTraceId, readJaegerTrace, TraceUnavailable } from "./jaeger.ts";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
/** Jaeger's JSON for one trace: a root, a child, and a span whose parent is not in it. */
const body = {
  data: [
    {
      traceID: traceId,
      spans: [
        {
          spanID: "a",
          operationName: "migration requested",
          references: [],
          startTime: 1000,
          duration: 50,
          tags: [{ key: "shadow.migration.id", type: "string", value: "mig-1" }],
          processID: "p1",
        },
        {
          spanID: "b",
          operationName: "handle x",
          references: [{ refType: "CHILD_OF", traceID: traceId, spanID: "a" }],
          startTime: 1010,
          duration: 20,
          tags: [
            { key: "shadow.offsets.cut", type: "string", value: '["in/0@4"]' },
            { key: "otel.status_code", type: "string", value: "ERROR" },
          ],
          processID: "p2",
        },
        {
          spanID: "c",
          operationName: "handle y",
          references: [{ refType: "CHILD_OF", traceID: traceId, spanID: "gone" }],
          startTime: 1020,
          duration: 5,
          tags: [],
          processID: "p2",
        },
      ],
      processes: {
        p1: { serviceName: "gateway", tags: [] },
        p2: { serviceName: "fence-svc", tags: [] },
      },
      warnings: null,
    },
  ],
};

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === `/api/traces/${traceId}`) return res.end(JSON.stringify(body));
    if (req.url?.startsWith("/api/traces?")) {
      const tags = new URL(req.url, "http://x").searchParams.get("tags") ?? "";
      return res.end(
        JSON.stringify({ data: tags.includes("mig-1") ? [{ traceID: traceId }] : [] }),
      );
    }
    if (req.url === "/api/traces/not-json") return res.end("<html>");
    res.statusCode = 404;
    res.end(JSON.stringify({ data: null, errors: [{ code: 404, msg: "trace not found" }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("reading a trace from Jaeger's query API", () => {
  it("turns its JSON into spans: services by process, parents by reference, tags as attributes", async () => {
    const { trace } = await readJaegerTrace(url, traceId);
    expect(trace.spans.map((s) => [s.spanId, s.service, s.parentId, s.error])).toEqual([
      ["a", "gateway", undefined, false],
      ["b", "fence-svc", "a", true],
      ["c", "fence-svc", "gone", false],
    ]);
    expect(trace.spans[1]?.attributes["shadow.offsets.cut"]).toBe('["in/0@4"]');
  });

  it("finds a migration's trace by its root's migration id", async () => {
    expect(await findTraceId(url, "mig-1")).toBe(traceId);
    expect(await findTraceId(url, "mig-2")).toBeUndefined();
  });

  it("says which of three things went wrong: no such trace, no Jaeger, not a Jaeger", async () => {
    const reason = (p: Promise<unknown>) =>
      p.then(
        () => "none",
        (e: unknown) => (e instanceof TraceUnavailable ? e.reason : String(e)),
      );
    expect(await reason(readJaegerTrace(url, "0".repeat(32)))).toBe("not-found");
    expect(await reason(readJaegerTrace("http://127.0.0.1:1", traceId))).toBe("unreachable");
    expect(await reason(readJaegerTrace(url, "not-json"))).toBe("bad-answer");
  });
});
