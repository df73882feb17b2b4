import { CONTROL_CLOCK_MARGIN_MS, lagBehindSource } from "@shadow/contract";
import { topics as eventTopics } from "@shadow/events";
import type { ISocketFactory } from "kafkajs";
import pino, { type Logger } from "pino";
import type { ControlEvent } from "../control/channel.ts";
import type {
  InputRecord,
  PartitionOffset,
  PendingOutput,
  ServiceDefinition,
  Snapshot,
  WorkloadCounts,
  WorkloadStatus,
} from "../types.ts";
import { ConnectionGate } from "./connection-gate.ts";
import { HeldBack } from "./held-back.ts";
import { DEFAULT_IDENTITY_PATH, type Identity, inputGroupId, sameIdentity } from "./identity.ts";
import { IdentityWatcher } from "./identity-watcher.ts";
import { InputFlow } from "./input-flow.ts";
import { KafkaSession } from "./kafka-session.ts";
import { Lock } from "./lock.ts";
import { fromControl } from "./mode/events.ts";
import { ModeRunner } from "./mode/runner.ts";
import { initialState } from "./mode/state.ts";
import { idOf, OutputMarks } from "./output-id.ts";
import { OutputPipeline } from "./output-pipeline.ts";
import { type Admission, Processor } from "./processor.ts";
import { Progress, type TopicPartition, tpKey } from "./progress.ts";

export interface WorkloadOptions<S> {
  service: ServiceDefinition<S>;
  brokers: string[];
  inputTopics: string[];
  outputTopic: string;
  deadLetterTopic: string;
  /** Default: the choreography's control topic. */
  controlTopic?: string;
  identityPath?: string;
  /** Start from another instance's memory instead of an empty state (tests stand-in for CRIU). */
  snapshot?: Snapshot<S>;
  /** Bound of held-back outputs; when full, a shadow stops consuming until room frees. */
  maxHeldOutputs?: number;
  /**
   * Bound of outputs not yet acknowledged; past it a primary stops consuming until half of them
   * are. Draining a backlog processes records faster than one producer acknowledges them, and
   * without the bound every output of the backlog waits in memory at once.
   */
  maxPendingOutputs?: number;
  commitIntervalMs?: number;
  /** How often a shadow reads its source's committed progress (trims held outputs, shows lag). */
  sourceProgressIntervalMs?: number;
  identityPollMs?: number;
  /**
   * How long a fenced source waits after its cut for FencePassed or FenceAborted before it
   * aborts its own fence through the control log and, once it reads that back, resumes from its
   * cut (default 30 s): a stale or orphaned fence never stops a workload for good.
   */
  fenceDeadlineMs?: number;
  log?: Logger;
  /** Underlying socket factory (the gate wraps it). */
  socketFactory?: ISocketFactory;
  consumer?: { sessionTimeout?: number; heartbeatInterval?: number; maxWaitTimeInMs?: number };
  retry?: { attempts: number; backoffMs: number };
}

/** A stateful service running on the SDK. */
export interface Workload<S> {
  /** Connects under the identity in the file and starts consuming. */
  start(): Promise<void>;
  /** Flushes what it can and disconnects cleanly under its current identity. */
  stop(): Promise<void>;
  status(): WorkloadStatus;
  /** State, processed offsets and unsettled outputs at one point between two records. */
  snapshot(): Promise<Snapshot<S>>;
  readonly state: S;
  readonly identity: Identity;
  /** Re-checks the identity file now (also done before every act and by a short poll). */
  checkIdentity(): void;
  /** Closes this session's sockets with no Kafka goodbye, like a network blip; kafkajs reconnects. */
  dropConnections(): number;
  /** Replaces the Kafka clients under the same identity, with a clean disconnect first. */
  restartSession(): Promise<void>;
}

const zeroCounts = (): WorkloadCounts => ({
  processed: 0,
  produced: 0,
  held: 0,
  discarded: 0,
  deadLettered: 0,
  duplicatesSkipped: 0,
  refused: 0,
  staleDeliveries: 0,
  identityChanges: 0,
  readBackDropped: 0,
  outputPauses: 0,
  sessions: 0,
  refusedConnections: 0,
});

/**
 * Builds a workload: a consume loop whose state and processed offsets live together, shadow
 * mode, the fence at a cut, and restore detection through the identity file.
 *
 * @example
 * const workload = createWorkload({ service, brokers, inputTopics: ["orders"],
 *   outputTopic: "balances", deadLetterTopic: "orders.dlq" });
 * await workload.start();
 */
export function createWorkload<S>(options: WorkloadOptions<S>): Workload<S> {
  return new SdkWorkload(options);
}

/**
 * The SDK's side of one workload process: what `createWorkload` returns. Named for what it is,
 * not `WorkloadRuntime`: the runtime is the platform's port (checkpoint, restore, stop), which
 * this class never sees. Its mode is the machine in `mode/`; this class feeds it events (the
 * control log, the identity file, its own progress) and owns the I/O its effects need.
 */
class SdkWorkload<S> implements Workload<S> {
  private readonly progress: Progress;
  private readonly held: HeldBack;
  private readonly pipeline: OutputPipeline;
  private readonly outputMarks = new OutputMarks();
  /** Topics to read back before producing: set by a restore that inherited outputs. */
  private readBack: string[] | undefined;
  private readonly lock = new Lock();
  private readonly counts = zeroCounts();
  private log: Logger;
  private stateValue: S;
  private readonly machine: ModeRunner;
  private readonly flow: InputFlow;
  /** The identity the memory was built under before the last change: the source, for a shadow. */
  private sourceIdentity: Identity | undefined;
  private readonly watcher: IdentityWatcher;
  private readonly gate: ConnectionGate;
  private readonly processor: Processor<S>;
  private session: KafkaSession | undefined;
  private inputReady = false;
  private readonly committed = new Map<string, PartitionOffset>();
  private sourceCommitted: PartitionOffset[] = [];
  private timers: NodeJS.Timeout[] = [];
  /**
   * When this process took its current identity (started, or found itself restored): a
   * shadow's fence events are all published after it, so its control read starts there, less
   * CONTROL_CLOCK_MARGIN_MS for clocks of other nodes that run behind.
   */
  private identitySince = Date.now();
  private stopped = false;
  private readonly startedAt = new Date().toISOString();
  private readonly options: WorkloadOptions<S>;
  private readonly controlTopic: string;

  constructor(options: WorkloadOptions<S>) {
    this.options = options;
    this.controlTopic = options.controlTopic ?? eventTopics.control;
    this.log = options.log ?? pino({ name: "workload" });
    this.watcher = new IdentityWatcher({
      path: options.identityPath ?? DEFAULT_IDENTITY_PATH,
      pollMs: options.identityPollMs ?? 5,
      onChange: (next, previous) => this.onIdentityChange(next, previous),
      onUnreadable: (reason) =>
        this.log.error({ reason }, "identity file unreadable: acts refused"),
    });
    this.gate = new ConnectionGate({
      verify: () => this.watcher.check() !== "unreadable",
      ...(options.socketFactory ? { base: options.socketFactory } : {}),
    });
    const snapshot = options.snapshot;
    const clone = options.service.cloneState ?? structuredClone;
    this.stateValue = snapshot ? clone(snapshot.state) : options.service.initialState();
    this.progress = new Progress(snapshot?.processed ?? []);
    this.held = new HeldBack(options.maxHeldOutputs ?? 100_000);
    this.pipeline = new OutputPipeline({
      onAcked: (batch) => {
        this.counts.produced += batch.length;
        this.flow.outputsSettled();
      },
      onSendError: (error, size) => this.log.warn({ err: error, size }, "produce failed, retrying"),
    });
    const identity = this.watcher.current;
    let sourceIdentity: Identity | undefined;
    if (snapshot && !sameIdentity(snapshot.identity, identity)) {
      // Started from someone else's memory: exactly what a restored copy wakes up to.
      sourceIdentity = snapshot.identity;
      this.counts.identityChanges += 1;
    }
    this.sourceIdentity = sourceIdentity;
    this.machine = new ModeRunner(
      {
        progress: this.progress,
        held: this.held,
        pipeline: this.pipeline,
        lock: this.lock,
        counts: this.counts,
        identity: () => this.watcher.current,
        log: () => this.log,
        publish: (event) => this.publish(event, this.gate.epoch),
        commitNow: () => this.commitNow(),
        updateFlow: () => this.flow.update(),
        identitySince: () => this.identitySince,
      },
      initialState(identity, sourceIdentity?.instance),
      options.fenceDeadlineMs === undefined ? {} : { fenceDeadlineMs: options.fenceDeadlineMs },
    );
    this.flow = new InputFlow({
      consumption: () => this.machine.consumption,
      session: () => this.session,
      progress: this.progress,
      held: this.held,
      pipeline: this.pipeline,
      counts: this.counts,
      maxPendingOutputs: options.maxPendingOutputs ?? 10_000,
    });
    this.processor = new Processor<S>({
      service: options.service,
      getState: () => this.stateValue,
      progress: this.progress,
      lock: this.lock,
      outputTopic: options.outputTopic,
      deadLetterTopic: options.deadLetterTopic,
      counts: this.counts,
      log: this.log,
      admit: (epoch, topic, partition) => this.admit(epoch, topic, partition),
      context: () => ({
        identity: this.watcher.current,
        mode: this.machine.mode,
        now: Date.now(),
        groupId: inputGroupId(this.watcher.current),
      }),
      modeNow: () => this.machine.mode,
      identityNow: () => {
        // One stat: a restore while a handler awaited is noticed before it reads who it is.
        this.watcher.check();
        return this.watcher.current;
      },
      seek: (epoch, topic, partition, offset) => {
        if (epoch === this.gate.epoch) this.session?.seek(topic, partition, offset);
      },
      route: (outputs) => this.machine.route(outputs),
      afterProcessed: () => this.afterProcessed(),
      ...(options.retry ? { retry: options.retry } : {}),
    });
    this.adopt(snapshot?.unsettled ?? []);
  }

  get state(): S {
    return this.stateValue;
  }

  get identity(): Identity {
    return this.watcher.current;
  }

  async start(): Promise<void> {
    this.watcher.start();
    this.timers.push(
      setInterval(() => void this.commitNow(), this.options.commitIntervalMs ?? 100),
    );
    this.timers.push(
      setInterval(
        () => void this.readSourceProgress(),
        this.options.sourceProgressIntervalMs ?? 100,
      ),
    );
    for (const timer of this.timers) timer.unref();
    await this.openSession(this.gate.epoch);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher.stop();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    const session = this.session;
    // A session under the unchanged identity is what a flush and a commit may still use.
    const canFlush = session !== undefined && this.watcher.check() === "same";
    await this.machine.feed({ type: "stop", canFlush });
    this.session = undefined;
    this.pipeline.setSender(undefined);
    await session?.close();
  }

  status(): WorkloadStatus {
    const processed = this.progress.list();
    const lag =
      this.sourceIdentity && this.sourceCommitted.length > 0
        ? lagBehindSource(this.sourceCommitted, processed)
        : null;
    const { sourceFence, handover } = this.machine.state;
    return {
      identity: this.watcher.current,
      mode: this.machine.mode,
      fencing: this.machine.fencing,
      paused: this.flow.paused,
      epoch: this.gate.epoch,
      processed,
      committed: [...this.committed.values()],
      sourceCommitted: this.sourceCommitted,
      lagBehindSource: lag,
      assigned: this.progress.assigned,
      heldBack: { size: this.held.size, max: this.held.max },
      inFlightOutputs: this.pipeline.pending,
      inputReady: this.inputReady,
      controlReady: this.session?.control.ready ?? false,
      counts: { ...this.counts, refusedConnections: this.gate.refusals },
      sourceFence: sourceFence ? { ...sourceFence } : null,
      handover: handover ? { ...handover } : null,
      startedAt: this.startedAt,
    };
  }

  snapshot(): Promise<Snapshot<S>> {
    const clone = this.options.service.cloneState ?? structuredClone;
    return this.lock.run(() => ({
      identity: { ...this.watcher.current },
      state: clone(this.stateValue),
      processed: this.progress.list(),
      unsettled: structuredClone([...this.pipeline.peek(), ...this.held.peek()]),
      takenAt: Date.now(),
    }));
  }

  checkIdentity(): void {
    this.watcher.check();
  }

  dropConnections(): number {
    return this.gate.destroySockets(this.gate.epoch);
  }

  async restartSession(): Promise<void> {
    const old = this.session;
    this.session = undefined;
    this.inputReady = false;
    this.pipeline.setSender(undefined);
    await old?.close();
    const epoch = this.gate.advance();
    await this.openSession(epoch);
  }

  /** The identity file changed under us: we are a restored copy (or were re-assigned). */
  private onIdentityChange(next: Identity, previous: Identity): void {
    this.identitySince = Date.now();
    this.counts.identityChanges += 1;
    this.log = this.log.child({ instance: next.instance, incarnation: next.incarnation });
    this.log.warn({ previous, next }, "identity changed: abandoning Kafka clients");
    const old = this.session;
    this.session = undefined;
    this.inputReady = false;
    const epoch = this.gate.advance();
    old?.abandon();
    this.pipeline.setSender(undefined);
    const unsettled = this.pipeline.takeUnsettled();
    this.sourceIdentity = previous;
    this.sourceCommitted = [];
    void this.machine.feed({ type: "identity-changed", next, previous });
    this.adopt(unsettled);
    if (!this.stopped) void this.openSession(epoch);
  }

  /**
   * What this process inherits of outputs it did not see acknowledged: a shadow holds them
   * (the source, still running, produces them itself; the cut will drop them), a primary
   * produces them (a plain restore after the source stopped).
   */
  private adopt(unsettled: PendingOutput[]): void {
    if (unsettled.length === 0) return;
    if (this.machine.consumption === "hold") {
      this.machine.route(unsettled);
      return;
    }
    // The source's last produce may have reached the log with its acknowledgement lost in the
    // dump: the new session reads back before producing (see reconcile).
    this.pipeline.enqueue(unsettled);
    this.readBack = [...new Set(unsettled.map((o) => o.topic))];
  }

  /**
   * Drops the inherited outputs the log has already, before anything is produced: without it
   * a restore after a stop (the sequential strategy) writes those twice. If the log cannot be
   * read, everything is produced (at least once, never lost).
   */
  private async reconcile(session: KafkaSession): Promise<void> {
    const topics = this.readBack;
    if (!topics) return;
    try {
      const found = await session.readOutputIds(topics, (t, p) => this.outputMarks.from(t, p));
      const dropped = this.pipeline.discard((o) => found.has(idOf(o) ?? ""));
      this.counts.readBackDropped += dropped;
      this.flow.outputsSettled();
      this.log.info({ topics, found: found.size, dropped }, "inherited outputs read back");
    } catch (error) {
      this.log.warn({ err: error, topics }, "read-back failed: producing every inherited output");
    }
    this.readBack = undefined;
  }

  private async openSession(epoch: number): Promise<void> {
    for (let attempt = 0; !this.stopped && epoch === this.gate.epoch; attempt++) {
      const session = new KafkaSession({
        brokers: this.options.brokers,
        identity: this.watcher.current,
        epoch,
        gate: this.gate,
        inputTopics: this.options.inputTopics,
        controlTopic: this.controlTopic,
        log: this.log,
        onRecord: (sessionEpoch, record) => this.onRecord(sessionEpoch, record),
        onAssigned: (sessionEpoch, partitions) => this.onAssigned(sessionEpoch, partitions),
        onControl: (event) => this.onControl(epoch, event),
        onFatal: (sessionEpoch, error) => this.onFatal(sessionEpoch, error),
        controlSince: this.identitySince - CONTROL_CLOCK_MARGIN_MS,
        ...(this.options.consumer ? { consumer: this.options.consumer } : {}),
      });
      this.session = session;
      this.counts.sessions += 1;
      try {
        await session.start();
        if (epoch !== this.gate.epoch) return;
        await this.reconcile(session);
        if (epoch !== this.gate.epoch) return;
        this.pipeline.setSender(async (batch) =>
          this.outputMarks.record(await session.send(batch)),
        );
        this.log.info(
          { epoch, group: session.groupId, mode: this.machine.mode },
          "session started",
        );
        return;
      } catch (error) {
        if (epoch !== this.gate.epoch || this.stopped) return;
        this.log.error({ err: error, attempt }, "session failed to start, retrying");
        this.session = undefined;
        await session.close().catch(() => undefined);
        await delay(Math.min(5_000, 200 * 2 ** attempt));
      }
    }
  }

  private onFatal(epoch: number, error: unknown): void {
    if (epoch !== this.gate.epoch || this.stopped) return;
    this.log.error({ err: error }, "Kafka consumer stopped for good: new session");
    void this.restartSession();
  }

  private onRecord(epoch: number, record: InputRecord): Promise<void> {
    return this.processor.handle(epoch, record);
  }

  /** After every (re)join: continue each partition right after what was processed. */
  private onAssigned(epoch: number, partitions: TopicPartition[]): void {
    if (epoch !== this.gate.epoch) return;
    this.progress.assigned = partitions;
    const session = this.session;
    if (!session) return;
    for (const { topic, partition } of partitions) {
      const next = this.progress.next(topic, partition);
      if (next !== undefined) session.seek(topic, partition, next);
    }
    this.flow.applyTo(session);
    this.inputReady = true;
    this.log.info(
      { epoch, partitions: partitions.length, processed: this.progress.list() },
      "input assigned",
    );
  }

  private admit(epoch: number, topic: string, partition: number): Admission {
    if (!this.gate.isCurrent(epoch)) return epoch === this.gate.epoch ? "refuse" : "stale";
    return this.flow.admits(topic, partition) ? "process" : "refuse";
  }

  private afterProcessed(): void {
    void this.machine.feed({ type: "record-processed" });
    this.flow.afterProcessed();
  }

  private async onControl(epoch: number, event: ControlEvent): Promise<void> {
    if (epoch !== this.gate.epoch) return;
    const modeEvent = fromControl(event);
    // Awaited: the control log is read one event at a time, and a fence's steps finish before
    // the next event is looked at (a source answers with its cut before it reads an abort).
    if (modeEvent) await this.machine.feed(modeEvent);
  }

  /** Publishes on the control topic, retrying; false when `epoch` ended first. */
  private async publish(event: ControlEvent, epoch: number): Promise<boolean> {
    for (let attempt = 0; epoch === this.gate.epoch && !this.stopped; attempt++) {
      const session = this.session;
      if (session && session.epoch === epoch && session.started) {
        try {
          await session.control.publish(event);
          this.log.info(
            { type: event.type, migrationId: event.data.migrationId },
            "control event published",
          );
          return true;
        } catch (error) {
          this.log.warn(
            { err: error, type: event.type, attempt },
            "control publish failed, retrying",
          );
        }
      }
      await delay(Math.min(1_000, 50 * 2 ** attempt));
    }
    return false;
  }

  /** Commits, per partition, the last offset whose outputs are all settled. */
  private async commitNow(): Promise<void> {
    const session = this.session;
    if (!session || !this.inputReady || session.epoch !== this.gate.epoch) return;
    const positions: PartitionOffset[] = [];
    for (const { topic, partition, offset } of this.progress.list()) {
      const unsettled = minDefined(
        this.pipeline.lowest(topic, partition),
        this.held.lowest(topic, partition),
      );
      const settled = unsettled === undefined ? offset : unsettled - 1;
      if (settled < 0) continue;
      if (this.committed.get(tpKey(topic, partition))?.offset === settled) continue;
      positions.push({ topic, partition, offset: settled });
    }
    if (positions.length === 0) return;
    try {
      await session.commit(positions);
      for (const position of positions)
        this.committed.set(tpKey(position.topic, position.partition), position);
    } catch (error) {
      this.log.debug({ err: error }, "commit failed, next tick retries");
    }
  }

  /**
   * A shadow reads its source's committed progress: the source commits an offset only after
   * its outputs were acknowledged, so held outputs at or below it are the source's, and the
   * difference with our own progress is the lag restore-svc waits on.
   */
  private async readSourceProgress(): Promise<void> {
    const source = this.sourceIdentity;
    const session = this.session;
    // Only while outputs are held: a primary has no source to compare with.
    const holding = () => this.machine.consumption === "hold";
    if (!source || !session || !holding() || session.epoch !== this.gate.epoch) return;
    try {
      const positions = await session.groupProgress(inputGroupId(source));
      if (session.epoch !== this.gate.epoch || !holding()) return;
      this.sourceCommitted = positions;
      const wasFull = this.held.full;
      void this.machine.feed({ type: "source-progress", positions });
      // Still full, a partition whose held outputs all went may be read again.
      if (wasFull) this.flow.update();
    } catch (error) {
      this.log.debug({ err: error }, "reading the source's progress failed");
    }
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
