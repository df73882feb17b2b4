import type {
  DataOf,
  FenceAborted,
  FenceCompleted,
  FenceCut,
  FencePassed,
  FenceRequested,
} from "@shadow/events";

/** W3C trace context: an answer carries the request's, so one trace spans the migration. */
export interface TraceContext {
  traceparent?: string;
  tracestate?: string;
}

/**
 * Who published an event read from the log: the CloudEvent `source` and `id`, which together
 * name it (a replay of the same record repeats both). Absent on events about to be published.
 */
export interface EventOrigin {
  id?: string;
  source?: string;
}

/** The fence events the SDK reads and writes on the control topic, with their typed data. */
export type ControlEvent = TraceContext &
  EventOrigin &
  (
    | { type: typeof FenceRequested.type; data: DataOf<typeof FenceRequested> }
    | { type: typeof FenceCut.type; data: DataOf<typeof FenceCut> }
    | { type: typeof FencePassed.type; data: DataOf<typeof FencePassed> }
    | { type: typeof FenceAborted.type; data: DataOf<typeof FenceAborted> }
    | { type: typeof FenceCompleted.type; data: DataOf<typeof FenceCompleted> }
  );

export type ControlHandler = (event: ControlEvent) => Promise<void> | void;

/**
 * The SDK's only dependency on how control events travel. The Kafka implementation lives in
 * one file; tests can pass an in-memory one.
 */
export interface ControlChannel {
  /** Resolves once the event is durably in the control log. */
  publish(event: ControlEvent): Promise<void>;
  /** Starts delivering control events, in log order, one at a time. */
  subscribe(handler: ControlHandler): Promise<void>;
  /** True once the subscription joined and reads the log. */
  readonly ready: boolean;
}
