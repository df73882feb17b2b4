/** One span of a trace, as the waterfall needs it (times in microseconds since the epoch). */
export interface TraceSpan {
  spanId: string;
  /** The span it is a child of, when it has one (it may be missing from the trace). */
  parentId?: string;
  service: string;
  operation: string;
  startUs: number;
  durationUs: number;
  attributes: Record<string, unknown>;
  error: boolean;
}

/** A trace as the query API returned it: its spans, and what the API warned about. */
export interface Trace {
  traceId: string;
  spans: TraceSpan[];
  warnings: string[];
}
