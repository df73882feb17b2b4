import { inject } from "vitest";

/** Jaeger query API helpers for integration tests (the UI is not built; the API is). */

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; type: string; value: unknown }[];
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: unknown[] }>;
}

/** Query API base URL, as provided by test/setup/local-stack.ts. */
export function jaegerQueryUrl(): string {
  return inject("jaegerQueryUrl");
}

/** OTLP/HTTP base URL (POST `${url}/v1/traces`). */
export function otlpHttpEndpoint(): string {
  return inject("otlpHttpEndpoint");
}

/** Service names Jaeger has seen spans from. */
export async function jaegerServices(): Promise<string[]> {
  const body = await getJson<{ data: string[] | null }>("/api/services");
  return body.data ?? [];
}

/** One trace by id (32 hex digits), or undefined while Jaeger has none of its spans. */
export async function jaegerTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${jaegerQueryUrl()}/api/traces/${traceId}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET /api/traces/${traceId}: HTTP ${response.status}`);
  const body = (await response.json()) as { data: JaegerTrace[] | null };
  return body.data?.[0];
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${jaegerQueryUrl()}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}
