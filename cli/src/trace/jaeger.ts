import { z } from "zod";
import type { Trace, TraceSpan } from "./spans.ts";

const jaegerTag = z.object({ key: z.string(), value: z.unknown() });
const jaegerTrace = z.object({
  traceID: z.string(),
  spans: z.array(
    z.object({
      spanID: z.string(),
      operationName: z.string(),
      references: z.array(z.object({ refType: z.string(), spanID: z.string() })).nullish(),
      startTime: z.number(),
      duration: z.number(),
      tags: z.array(jaegerTag).nullish(),
      processID: z.string(),
      warnings: z.array(z.string()).nullish(),
    }),
  ),
  processes: z.record(z.string(), z.object({ serviceName: z.string() })),
  warnings: z.array(z.string()).nullish(),
});
const tracesBody = z.object({ data: z.array(jaegerTrace).nullish() });

/** Why a trace could not be shown, in words a person can act on. */
export class TraceUnavailable extends Error {
  constructor(
    readonly reason: "unreachable" | "not-found" | "bad-answer",
    message: string,
  ) {
    super(message);
    this.name = "TraceUnavailable";
  }
}

/** A Jaeger trace (its JSON query API's shape) as spans. Pure. */
export function fromJaegerTrace(raw: z.infer<typeof jaegerTrace>): Trace {
  const spans: TraceSpan[] = raw.spans.map((s) => {
    const parent = (s.references ?? []).find((r) => r.refType === "CHILD_OF") ?? s.references?.[0];
    const attributes = Object.fromEntries((s.tags ?? []).map((t) => [t.key, t.value]));
    return {
      spanId: s.spanID,
      ...(parent ? { parentId: parent.spanID } : {}),
      service: raw.processes[s.processID]?.serviceName ?? s.processID,
      operation: s.operationName,
      startUs: s.startTime,
      durationUs: s.duration,
      attributes,
      error: attributes.error === true || attributes["otel.status_code"] === "ERROR",
    };
  });
  return { traceId: raw.traceID, spans, warnings: raw.warnings ?? [] };
}

/**
 * Reads one trace from Jaeger's query API (`GET <query>/api/traces/<traceId>`): the project's
 * own Jaeger serves this API without a UI.
 */
export async function readJaegerTrace(
  queryUrl: string,
  traceId: string,
): Promise<{ trace: Trace; raw: unknown }> {
  let res: Response;
  try {
    res = await fetch(new URL(`/api/traces/${encodeURIComponent(traceId)}`, queryUrl), {
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new TraceUnavailable(
      "unreachable",
      `cannot reach Jaeger's query API at ${queryUrl} (${(error as Error).cause ?? (error as Error).message}): is it running? (deploy/local/jaeger.sh status; SHADOW_JAEGER_QUERY names another)`,
    );
  }
  if (res.status === 404)
    throw new TraceUnavailable(
      "not-found",
      `Jaeger at ${queryUrl} has no trace ${traceId}: its spans were not exported (yet), or Jaeger restarted since (it keeps traces in memory)`,
    );
  if (!res.ok)
    throw new TraceUnavailable(
      "bad-answer",
      `Jaeger at ${queryUrl} answered ${res.status} for trace ${traceId}`,
    );
  const body: unknown = await res.json().catch(() => undefined);
  const parsed = tracesBody.safeParse(body);
  if (!parsed.success)
    throw new TraceUnavailable(
      "bad-answer",
      `Jaeger at ${queryUrl} answered something that is not a trace`,
    );
  const found = parsed.data.data?.[0];
  const raw = (body as { data: unknown[] }).data[0];
  if (!found || found.spans.length === 0)
    throw new TraceUnavailable(
      "not-found",
      `Jaeger at ${queryUrl} has no spans of trace ${traceId} yet`,
    );
  return { trace: fromJaegerTrace(found), raw };
}

/**
 * The trace whose root span names this migration (`shadow.migration.id`, set by the gateway),
 * searched for in Jaeger: for when the gateway cannot say (it is down, or restarted and its
 * log no longer holds the migration).
 */
export async function findTraceId(
  queryUrl: string,
  migrationId: string,
): Promise<string | undefined> {
  const url = new URL("/api/traces", queryUrl);
  url.searchParams.set("service", "gateway");
  url.searchParams.set("tags", JSON.stringify({ "shadow.migration.id": migrationId }));
  url.searchParams.set("limit", "1");
  url.searchParams.set("start", String((Date.now() - 30 * 24 * 3600_000) * 1000));
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new TraceUnavailable(
      "unreachable",
      `cannot reach Jaeger's query API at ${queryUrl} (${(error as Error).cause ?? (error as Error).message}): is it running? (deploy/local/jaeger.sh status; SHADOW_JAEGER_QUERY names another)`,
    );
  }
  if (!res.ok) return undefined;
  const parsed = z
    .object({ data: z.array(z.object({ traceID: z.string() })).nullish() })
    .safeParse(await res.json().catch(() => undefined));
  return parsed.success ? parsed.data.data?.[0]?.traceID : undefined;
}
