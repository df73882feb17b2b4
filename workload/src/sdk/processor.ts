import type { Logger } from "pino";
import type {
  HandleContext,
  InputRecord,
  Mode,
  PendingOutput,
  ServiceDefinition,
  WorkloadCounts,
} from "../types.ts";
import { deadLetterOutput } from "./dead-letter.ts";
import type { Identity } from "./identity.ts";
import type { Lock } from "./lock.ts";
import { OUTPUT_ID_HEADER, outputId } from "./output-id.ts";
import { type Progress, tpKey } from "./progress.ts";

/** What the SDK decides for a delivered record before touching state. */
export type Admission = "process" | "refuse" | "stale";

export interface ProcessorDeps<S> {
  service: ServiceDefinition<S>;
  getState(): S;
  progress: Progress;
  lock: Lock;
  outputTopic: string;
  deadLetterTopic: string;
  counts: WorkloadCounts;
  log: Logger;
  /** Whether a record of this partition, delivered by the client of `epoch`, may be processed now. */
  admit(epoch: number, topic: string, partition: number, offset: number): Admission;
  context(): HandleContext & { groupId: string };
  /** Who this process is now, checked against the identity file (a restore changes it). */
  identityNow(): Identity;
  /** Whether this process is primary or shadow now (a handover changes it mid-handler). */
  modeNow(): Mode;
  /** Asks the client of `epoch` to re-read a partition from `offset`. */
  seek(epoch: number, topic: string, partition: number, offset: number): void;
  /** Hands the outputs of one processed record on (produce, hold back or drop). */
  route(outputs: PendingOutput[]): void;
  /** After a record changed state and offsets (a shadow checks here whether it passed the cut). */
  afterProcessed(): void;
  retry?: { attempts: number; backoffMs: number };
  sleep?(ms: number): Promise<void>;
  /** Let timers and I/O run at least this often while records keep coming (default 10 ms). */
  yieldEveryMs?: number;
}

/**
 * Processes one delivered record: state, offset and the routing of its outputs change
 * together under the lock, exactly once per offset whatever the consumer redelivers.
 */
export class Processor<S> {
  /** Partitions where a gap made us seek back once; a second gap there is a real one. */
  private readonly gapSeeks = new Map<string, number>();
  private readonly deps: ProcessorDeps<S>;
  private lastYield = performance.now();

  constructor(deps: ProcessorDeps<S>) {
    this.deps = deps;
  }

  async handle(epoch: number, record: InputRecord): Promise<void> {
    // A fetched batch of cheap records is processed in microtasks only: without a yield now
    // and then, HTTP probes, the identity poll and every timer would wait for the whole batch.
    if (performance.now() - this.lastYield >= (this.deps.yieldEveryMs ?? 10)) {
      await new Promise((resolve) => setImmediate(resolve));
      this.lastYield = performance.now();
    }
    const key = tpKey(record.topic, record.partition);
    return this.deps.lock.runFor(key, () => this.handleLocked(epoch, record));
  }

  private async handleLocked(epoch: number, record: InputRecord): Promise<void> {
    const { deps } = this;
    const { topic, partition, offset } = record;
    const admission = deps.admit(epoch, topic, partition, offset);
    if (admission === "stale") {
      // A client from before a restore or a session change: its records are not ours to process.
      deps.counts.staleDeliveries += 1;
      return;
    }
    if (admission === "refuse") {
      deps.progress.noteRefused(topic, partition, offset);
      deps.counts.refused += 1;
      return;
    }
    const last = deps.progress.last(topic, partition);
    if (last !== undefined && offset <= last) {
      deps.counts.duplicatesSkipped += 1;
      return;
    }
    if (last !== undefined && offset > last + 1) {
      const key = tpKey(topic, partition);
      if (this.gapSeeks.get(key) !== last + 1) {
        // The consumer is ahead of what we processed (it resolved records we refused):
        // go back once; if the log itself has a gap there, the next delivery proves it.
        this.gapSeeks.set(key, last + 1);
        deps.log.warn({ topic, partition, offset, expected: last + 1 }, "gap: seeking back");
        deps.seek(epoch, topic, partition, last + 1);
        return;
      }
      deps.log.warn({ topic, partition, offset, expected: last + 1 }, "gap in the log accepted");
    }
    const outputs = await this.apply(record);
    deps.progress.record(topic, partition, offset);
    deps.counts.processed += 1;
    deps.route(outputs);
    deps.afterProcessed();
  }

  /** Runs the service on one record: outputs, or one dead letter saying why not. */
  private async apply(record: InputRecord): Promise<PendingOutput[]> {
    const { deps } = this;
    const attempts = deps.retry?.attempts ?? 3;
    const backoffMs = deps.retry?.backoffMs ?? 100;
    const input = { topic: record.topic, partition: record.partition, offset: record.offset };
    for (let attempt = 1; ; attempt++) {
      const context = deps.context();
      try {
        const outputs = await deps.service.handle(deps.getState(), record, {
          // A dump freezes a handler for 100 ms or more: one that asks within a millisecond of
          // being handed the record is still the copy it was handed to, and costs no stat.
          get identity() {
            return Date.now() - context.now >= 1 ? deps.identityNow() : context.identity;
          },
          get mode() {
            return deps.modeNow();
          },
          now: context.now,
        });
        return outputs.map((output, index) => ({
          topic: output.topic ?? deps.outputTopic,
          key: output.key,
          value: output.value,
          headers: { ...output.headers, [OUTPUT_ID_HEADER]: outputId(input, index) },
          input,
        }));
      } catch (error) {
        const terminal = isTerminalError(error);
        if (!terminal && attempt < attempts) {
          const wait = retryAfter(error) ?? backoffMs * 2 ** (attempt - 1);
          deps.log.warn({ ...input, attempt, err: error }, "record failed, retrying");
          await (deps.sleep ?? defaultSleep)(wait);
          continue;
        }
        deps.counts.deadLettered += 1;
        const reason = error instanceof Error ? error.message : String(error);
        deps.log.warn({ ...input, reason, terminal }, "record dead-lettered");
        return [
          deadLetterOutput(record, deps.deadLetterTopic, {
            code: terminal ? codeOf(error) : "retries-exhausted",
            reason,
            groupId: context.groupId,
            instance: context.identity.instance,
            attempts: attempt,
            now: Date.now(),
          }),
        ];
      }
    }
  }
}

function isTerminalError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    "retryable" in error &&
    (error as { retryable: unknown }).retryable === false
  );
}

function codeOf(error: unknown): "invalid-record" | "handler-terminal" {
  const code = (error as { code?: unknown }).code;
  return code === "invalid-record" ? "invalid-record" : "handler-terminal";
}

function retryAfter(error: unknown): number | undefined {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === "number" ? value : undefined;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
