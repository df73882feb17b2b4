import { admissionHandlers } from "@shadow/admission-svc";
import { checkpointHandlers } from "@shadow/checkpoint-svc";
import { drainHandlers } from "@shadow/drain-svc";
import {
  buildOutgoing,
  FenceCut,
  FencePassed,
  FenceRequested,
  type Handler,
  type Handlers,
  type IncomingEvent,
  type OutgoingEvent,
  outgoing,
  partitionKeyOf,
  type ShadowEvent,
  topicFor,
  topics,
} from "@shadow/events";
import { fenceHandlers } from "@shadow/fence-svc";
import { imageAfterEnd, imageHandlers } from "@shadow/image-svc";
import { type Judgement, LogLedger } from "@shadow/migration";
import {
  CatchUpWatcher,
  type InstanceProgress,
  restoreAfterEnd,
  restoreHandlers,
} from "@shadow/restore-svc";
import type { FakeRuntime } from "@shadow/runtime/fake";

export interface DeliveredEvent extends ShadowEvent {
  topic: string;
}

/** One service as the bus runs it: its gate's ledger, its handlers and its after-end handlers. */
interface BoundService {
  name: string;
  ledger: LogLedger;
  react(event: IncomingEvent, judgement: Judgement): Promise<OutgoingEvent[]> | OutgoingEvent[];
}

function bind<D>(
  name: string,
  handlers: Handlers<D>,
  deps: D,
  afterEnd: Handlers<D> = {},
  ledger = new LogLedger(),
): BoundService {
  return {
    name,
    ledger,
    react: (event, judgement) => {
      const usual = handlers[event.type] as Handler<typeof event.type, D> | undefined;
      const late = afterEnd[event.type] as Handler<typeof event.type, D> | undefined;
      const handler =
        judgement.kind === "act"
          ? usual
          : judgement.kind === "stale" && judgement.ended
            ? late
            : undefined;
      return handler ? handler(event as never, deps) : [];
    },
  };
}

/**
 * Every service's handlers wired to one in-memory log, each behind its own ledger as the bus's
 * gate puts it (so each acts only on what the log says is live), plus a stand-in for the
 * workload SDK that answers a fence with a cut and passes it: enough to run the choreography
 * without Kafka. The log is one partition; every service reads every event in log order.
 */
export function inMemoryChoreography(
  runtime: FakeRuntime,
  options: {
    progress?: (instance: string) => Promise<InstanceProgress>;
    answerFence?: boolean;
    catchUpTimeoutMs?: number;
    convergeWindowMs?: number;
  } = {},
) {
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const now = () => clock;
  /** What restore-svc logged, in order. */
  const restoreLog: { fields: object; message: string }[] = [];
  const admissionLedger = new LogLedger();
  const sleep = async (ms: number) => {
    clock += ms;
  };
  // Every step's wrapper on the test's clock: retries advance it, as they would wait.
  const step = { now, sleep, stepDeadlineMs: 60_000 };
  const restoreLedger = new LogLedger();
  const catchUps = new CatchUpWatcher(
    {
      runtime,
      progress:
        options.progress ?? (async () => ({ offsets: [{ topic: "in", partition: 0, offset: 9 }] })),
      catchUpThreshold: 0,
      catchUpTimeoutMs: options.catchUpTimeoutMs ?? 1000,
      convergeWindowMs: options.convergeWindowMs ?? 0,
      pollIntervalMs: 100,
      sleep,
      now,
      log: { info: (fields, message) => restoreLog.push({ fields, message }) },
    },
    // A watch's outcome goes on the log as the service's publisher sends it.
    async (events) => {
      for (const out of events) await deliverInTurn(stamp(out));
    },
    (migrationId) => restoreLedger.migration(migrationId)?.stage === "admitted",
  );
  const services = [
    bind(
      "admission-svc",
      admissionHandlers,
      { runtime, ledger: admissionLedger },
      {},
      admissionLedger,
    ),
    bind("checkpoint-svc", checkpointHandlers, { runtime, step }),
    bind("image-svc", imageHandlers, { runtime, step }, imageAfterEnd),
    bind(
      "restore-svc",
      restoreHandlers,
      { runtime, step, catchUps },
      restoreAfterEnd,
      restoreLedger,
    ),
    bind("fence-svc", fenceHandlers, undefined),
    bind("drain-svc", drainHandlers, { runtime, now, step }),
  ];
  const log: DeliveredEvent[] = [];
  let seq = 0;
  let offset = 0;
  let sdkAnswers = options.answerFence !== false;

  const workloadSdk = (e: ShadowEvent): OutgoingEvent[] => {
    if (e.type !== FenceRequested.type || !sdkAnswers) return [];
    const d = FenceRequested.schema.parse(e.data);
    const cut = [{ topic: "in", partition: 0, offset: 9 }];
    const pausedAt = new Date(clock).toISOString();
    clock += 5;
    return [
      outgoing(FenceCut, { ...d, instance: d.handoff.from.instance, cut, pausedAt }),
      outgoing(FencePassed, {
        ...d,
        instance: d.handoff.to.instance,
        cut,
        pausedAt,
        passedAt: new Date(clock).toISOString(),
      }),
    ];
  };

  /** Appends an event to the log and hands it, and what it leads to, to every service in order. */
  async function deliver(first: DeliveredEvent): Promise<void> {
    const queue = [first];
    for (let event = queue.shift(); event; event = queue.shift()) {
      log.push(event);
      const position =
        event.topic === topics.migrations
          ? { partition: 0, offset: String(offset++), key: partitionKeyOf(event) }
          : undefined;
      const reactions: OutgoingEvent[] = [...workloadSdk(event)];
      for (const service of services) {
        const judgement = position
          ? service.ledger.apply(event, position)
          : service.ledger.judgeOutside(event);
        reactions.push(...(await service.react(event as IncomingEvent, judgement)));
      }
      for (const next of reactions) queue.push(stamp(next));
    }
  }

  // One delivery at a time, in the order they were asked for: a watch's outcome waits for the
  // delivery under way, as a producer's record lands after those before it.
  let turn: Promise<void> = Promise.resolve();
  function deliverInTurn(event: DeliveredEvent): Promise<void> {
    const mine = turn.then(() => deliver(event));
    turn = mine.catch(() => undefined);
    return mine;
  }

  /** Delivers an event, then waits until the catch-up watches it led to have ended too. */
  async function settle(event: DeliveredEvent): Promise<void> {
    await deliverInTurn(event);
    await catchUps.idle();
    await turn;
  }

  /** Stamps and validates like the bus's runner does. */
  function stamp(out: OutgoingEvent): DeliveredEvent {
    seq += 1;
    clock += 1;
    const built = buildOutgoing(out, { source: "/test", id: `e${seq}`, time: new Date(clock) });
    return { ...built, topic: out.topic ?? topicFor(out.type) };
  }

  return {
    publish: (out: OutgoingEvent) => settle(stamp(out)),
    /** Puts an event already in the log on it again, byte for byte (same id), as a replay. */
    replay: (event: DeliveredEvent) => settle({ ...event }),
    catchUps,
    /** Whether the SDK stand-in answers fence requests from now on. */
    answerFences: (answer: boolean) => {
      sdkAnswers = answer;
    },
    log,
    restoreLog,
    types: () => log.map((e) => e.type.replace(/^io\.shadow\.(migration\.)?/, "")),
  };
}
