import type { Identity, PartitionOffset, WorkloadMode } from "@shadow/contract";

// What the platform reads (the status body and its parts) is the contract's.
export type {
  HandoverTiming,
  PartitionOffset,
  SourceFenceStatus,
  WorkloadCounts,
  WorkloadStatus,
} from "@shadow/contract";

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
export type Mode = WorkloadMode;

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
