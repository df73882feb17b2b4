import type { PendingOutput } from "../types.ts";
import { isStaleSession } from "./errors.ts";

/** Produces one batch and resolves once the broker acknowledged all of it. */
export type Sender = (batch: PendingOutput[]) => Promise<unknown>;

export interface OutputPipelineOptions {
  maxBatch?: number;
  retryBackoffMs?: number;
  onAcked?(batch: readonly PendingOutput[]): void;
  onSendError?(error: unknown, batchSize: number): void;
}

/**
 * Produces outputs in the order they were made, one batch in flight at a time: a retried batch
 * can never overtake a later one, so per-key order survives broker hiccups. Outputs stay
 * "unsettled" until acknowledged; the SDK commits an input offset only when every output of
 * every record up to it is settled, which is what makes a source's committed progress mean
 * "produced" (a shadow trims its held-back outputs with it).
 */
export class OutputPipeline {
  private queue: PendingOutput[] = [];
  private inFlight: PendingOutput[] = [];
  private sender: Sender | undefined;
  /** Identifies the running send loop; taking the unsettled outputs away ends it. */
  private loopToken = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private readonly options: Required<Omit<OutputPipelineOptions, "onAcked" | "onSendError">> &
    OutputPipelineOptions;

  constructor(options: OutputPipelineOptions = {}) {
    this.options = { maxBatch: 2_000, retryBackoffMs: 200, ...options };
  }

  /** Outputs not yet acknowledged (queued or in flight). */
  get pending(): number {
    return this.queue.length + this.inFlight.length;
  }

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  enqueue(outputs: readonly PendingOutput[]): void {
    if (outputs.length === 0) return;
    for (const output of outputs) this.queue.push(output);
    this.kick();
  }

  /** The producer of the current session, or none while there is no session. */
  setSender(sender: Sender | undefined): void {
    this.sender = sender;
    this.kick();
  }

  /**
   * Takes every unacknowledged output away (in order), e.g. when the identity changed: the
   * old producer must not be used again, and what it had not confirmed is re-routed.
   * A send still in flight is forgotten: whatever it resolves to later is ignored.
   */
  takeUnsettled(): PendingOutput[] {
    const taken = [...this.inFlight, ...this.queue];
    this.inFlight = [];
    this.queue = [];
    this.loopToken += 1;
    this.running = false;
    this.notifyIfIdle();
    return taken;
  }

  /** Drops queued outputs the predicate matches (found in the log already), keeping the order. */
  discard(found: (output: PendingOutput) => boolean): number {
    const before = this.queue.length;
    this.queue = this.queue.filter((output) => !found(output));
    const dropped = before - this.queue.length;
    if (dropped > 0) this.notifyIfIdle();
    return dropped;
  }

  /** Unacknowledged outputs in order (in flight first), without removing them. */
  peek(): PendingOutput[] {
    return [...this.inFlight, ...this.queue];
  }

  /** The lowest input offset on a partition with an output not yet acknowledged. */
  lowest(topic: string, partition: number): number | undefined {
    for (const { input } of this.inFlight) {
      if (input.topic === topic && input.partition === partition) return input.offset;
    }
    for (const { input } of this.queue) {
      if (input.topic === topic && input.partition === partition) return input.offset;
    }
    return undefined;
  }

  /** Resolves once everything enqueued so far (and anything enqueued meanwhile) is acknowledged. */
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.running || !this.sender || this.queue.length === 0) return;
    this.running = true;
    void this.run(this.loopToken);
  }

  private async run(token: number): Promise<void> {
    while (token === this.loopToken && this.sender && this.queue.length > 0) {
      const sender = this.sender;
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight = batch;
      try {
        await sender(batch);
        if (token !== this.loopToken) return;
        this.inFlight = [];
        this.options.onAcked?.(batch);
      } catch (error) {
        if (token !== this.loopToken) return;
        this.inFlight = [];
        this.queue.unshift(...batch);
        if (isStaleSession(error)) {
          // This producer may never be used again; the next session brings a new sender.
          if (this.sender === sender) this.sender = undefined;
          break;
        }
        this.options.onSendError?.(error, batch.length);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryBackoffMs));
      }
    }
    if (token !== this.loopToken) return;
    this.running = false;
    this.notifyIfIdle();
    this.kick();
  }

  private notifyIfIdle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
