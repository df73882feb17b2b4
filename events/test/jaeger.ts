import { inject } from "vitest";

/** The parts of Jaeger's query API answer (`GET /api/traces/<id>`) the tests read. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  processID: string;
  tags: { key: string; value: unknown }[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** One trace by id, or undefined while Jaeger has none of its spans yet. */
export async function jaegerTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${inject("jaegerQueryUrl")}/api/traces/${traceId}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET /api/traces/${traceId}: HTTP ${response.status}`);
  const body = (await response.json()) as { data: JaegerTrace[] | null };
  return body.data?.[0];
}

export function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((ref) => ref.refType === "CHILD_OF")?.spanID;
}
