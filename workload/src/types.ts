import type { Identity } from "./sdk/identity.ts";

/** A position in an input log: the last offset processed on a partition (-1: none). */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** One input record as the service sees it (kafkajs headers already turned into text). */
export interface InputRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Kafka record timestamp (ms since epoch). */
  timestamp: number;
}

/** One record a service wants written. `topic` defaults to the workload's output topic. */
export interface Output {
  topic?: string;
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * What the SDK does with the outputs of a message depends on the mode, the phase of its state
 * machine (`sdk/mode/`) as the status body shows it:
 * - `primary`: processes and produces (with `fencing` set while a source takes its cut).
 * - `shadow`: processes, holds outputs back until the fence cut says whose they are.
 * - `fenced`: the source after its cut: alive, answering HTTP, consuming nothing.
 * - `idle`: a shadow after a rollback: alive, consuming nothing.
 */
export type Mode = "primary" | "shadow" | "fenced" | "idle";

export interface HandleContext {
  /**
   * Who is handling the record, read when asked: a checkpoint taken while a handler awaits
   * restores it elsewhere, and what it reads after the await is the copy that finished it.
   */
  readonly identity: Identity;
  readonly mode: Mode;
  /** Wall clock (ms since epoch) when the SDK handed the record over. */
  now: number;
}

/**
 * A stateful service built on the SDK. Its state and the offsets the SDK has processed live
 * together in memory, so a checkpoint (CRIU, or `snapshot()` in tests) captures both at one
 * consistent point between two messages.
 *
 * @example
 * const service: ServiceDefinition<Map<string, number>> = {
 *   initialState: () => new Map(),
 *   handle(state, record) {
 *     const { key, amount } = parse(record.value); // throw TerminalError when invalid
 *     state.set(key, (state.get(key) ?? 0) + amount);
 *     return [{ key, value: JSON.stringify({ key, balance: state.get(key) }) }];
 *   },
 * };
 */
export interface ServiceDefinition<S> {
  initialState(): S;
  /**
   * Processes one input record and returns its outputs. Throw a TerminalError for a record
   * that can never be processed (it goes to the dead-letter topic with the reason); anything
   * else thrown is retried a few times, then dead-lettered too. Validate before mutating.
   */
  handle(state: S, record: InputRecord, context: HandleContext): Promise<Output[]> | Output[];
  /** Deep copy for `snapshot()`; default structuredClone. */
  cloneState?(state: S): S;
}

/** Outputs waiting to be produced or held back, each tied to the input that caused it. */
export interface PendingOutput {
  topic: string;
  key: string | null;
  value: string | Buffer;
  headers: Record<string, string>;
  input: PartitionOffset;
}

/**
 * What a checkpoint holds, for tests that stand a second instance up from the first one's
 * memory without CRIU: the identity it ran under, its state, the offsets it processed and the
 * outputs it had not yet seen acknowledged.
 */
export interface Snapshot<S> {
  identity: Identity;
  state: S;
  processed: PartitionOffset[];
  unsettled: PendingOutput[];
  takenAt: number;
}

export interface HandoverTiming {
  fenceId: string;
  migrationId: string;
  /** The source paused its input (from the FenceCut). */
  pausedAt: string;
  /** This shadow read the cut. */
  cutReceivedAt: string;
  /** Processed up to the cut on every partition and published FencePassed. */
  passedAt?: string;
  /** Read its own FencePassed back with no abort before it: producing from here on. */
  primaryAt?: string;
  /** Source paused → shadow producing past the cut. */
  handoverMs?: number;
  /** Held-back outputs dropped because the source had produced them (at or below the cut). */
  discardedAtCut: number;
  /** Held-back outputs emitted at the switch to primary (beyond the cut). */
  releasedAtSwitch: number;
}

export interface SourceFenceStatus {
  fenceId: string;
  migrationId: string;
  pausedAt: string;
  cutAt?: string;
  cut: PartitionOffset[];
  /** The shadow's FencePassed was read for this fence: it is primary now. */
  passedSeen: boolean;
  aborted: boolean;
}

export interface WorkloadCounts {
  processed: number;
  produced: number;
  held: number;
  discarded: number;
  deadLettered: number;
  duplicatesSkipped: number;
  refused: number;
  staleDeliveries: number;
  identityChanges: number;
  /** Inherited unacknowledged outputs found in the log after a restore, and not produced again. */
  readBackDropped: number;
  /** Times a primary stopped consuming because maxPendingOutputs were unacknowledged. */
  outputPauses: number;
  sessions: number;
  /** Connections the gate refused to stale (or identity-less) Kafka clients. */
  refusedConnections: number;
}

/** `GET /status`: what restore-svc and fence-svc read to compute lag and watch a handover. */
export interface WorkloadStatus {
  identity: Identity | null;
  mode: Mode;
  /** Between FenceRequested and the published cut. */
  fencing: boolean;
  paused: boolean;
  epoch: number;
  processed: PartitionOffset[];
  committed: PartitionOffset[];
  /** The previous identity's (the source's) committed progress, read while a shadow. */
  sourceCommitted: PartitionOffset[];
  /** Records the source has processed that this shadow has not, by its committed offsets. */
  lagBehindSource: number | null;
  assigned: { topic: string; partition: number }[];
  heldBack: { size: number; max: number };
  inFlightOutputs: number;
  inputReady: boolean;
  controlReady: boolean;
  counts: WorkloadCounts;
  sourceFence: SourceFenceStatus | null;
  handover: HandoverTiming | null;
  startedAt: string;
}
