import type { GatewayClient } from "../client.ts";
import { GatewayError } from "../client.ts";
import { findTraceId, readJaegerTrace, TraceUnavailable } from "../trace/jaeger.ts";
import { renderWaterfall } from "../trace/waterfall.ts";

export interface TraceOptions {
  /** A migration id, or a trace id (32 hex digits). */
  id: string;
  jaegerUrl: string;
  width: number;
  json: boolean;
  all: boolean;
}

const isTraceId = (id: string) => /^[0-9a-f]{32}$/.test(id);

/** The migration's trace id: the gateway's view says it; Jaeger is searched when it cannot. */
async function traceIdOf(client: GatewayClient, o: TraceOptions): Promise<string> {
  if (isTraceId(o.id)) return o.id;
  let why: string;
  try {
    const view = await client.get(o.id);
    if (view.traceId) return view.traceId;
    why = `the gateway knows migration ${o.id} but no trace of it (its request carried no trace context)`;
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    why = error.message;
  }
  const found = await findTraceId(o.jaegerUrl, o.id);
  if (found) return found;
  throw new TraceUnavailable(
    "not-found",
    `no trace of migration ${o.id}: ${why}; and Jaeger at ${o.jaegerUrl} has no trace whose root names it`,
  );
}

/**
 * `shadow trace <migration-id>`: the migration's trace from Jaeger's query API, as a waterfall
 * fitted to the terminal (or, with --json, the trace as Jaeger answered it). Returns the exit
 * code: 1 when the trace cannot be shown, with the reason on stderr.
 */
export async function traceCommand(
  client: GatewayClient,
  o: TraceOptions,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  try {
    const traceId = await traceIdOf(client, o);
    const { trace, raw } = await readJaegerTrace(o.jaegerUrl, traceId);
    if (o.json) out(JSON.stringify(raw, null, 2));
    else for (const line of renderWaterfall(trace, { width: o.width, all: o.all })) out(line);
    return 0;
  } catch (error) {
    if (!(error instanceof TraceUnavailable)) throw error;
    err(`shadow: ${error.message}`);
    return 1;
  }
}
