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
  type ShadowEvent,
  topicFor,
} from "@shadow/events";
import { fenceHandlers } from "@shadow/fence-svc";
import { imageHandlers } from "@shadow/image-svc";
import { type InstanceProgress, restoreHandlers } from "@shadow/restore-svc";
import type { FakeRuntime } from "@shadow/runtime/fake";

export interface DeliveredEvent extends ShadowEvent {
  topic: string;
}

function bind<D>(handlers: Handlers<D>, deps: D) {
  return (event: IncomingEvent): Promise<OutgoingEvent[]> | OutgoingEvent[] => {
    const handler = handlers[event.type] as Handler<typeof event.type, D> | undefined;
    return handler ? handler(event as never, deps) : [];
  };
}

/**
 * Every service's handlers wired to one in-memory log, plus a stand-in for the workload SDK
 * that answers a fence with a cut and passes it: enough to run the choreography without Kafka.
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
  const services = [
    bind(checkpointHandlers, { runtime }),
    bind(imageHandlers, { runtime }),
    bind(restoreHandlers, {
      runtime,
      progress:
        options.progress ?? (async () => ({ offsets: [{ topic: "in", partition: 0, offset: 9 }] })),
      catchUpThreshold: 0,
      catchUpTimeoutMs: options.catchUpTimeoutMs ?? 1000,
      convergeWindowMs: options.convergeWindowMs ?? 0,
      pollIntervalMs: 100,
      sleep: async (ms) => {
        clock += ms;
      },
      now,
      log: { info: (fields, message) => restoreLog.push({ fields, message }) },
    }),
    bind(fenceHandlers, undefined),
    bind(drainHandlers, { runtime, now }),
  ];
  const log: DeliveredEvent[] = [];
  let seq = 0;

  const workloadSdk = (e: ShadowEvent): OutgoingEvent[] => {
    if (e.type !== FenceRequested.type || options.answerFence === false) return [];
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

  /** Stamps and validates like the bus's runner does, then hands the event to every service. */
  async function publish(out: OutgoingEvent): Promise<void> {
    seq += 1;
    clock += 1;
    const built = buildOutgoing(out, {
      source: "/test",
      id: `e${seq}`,
      time: new Date(clock),
    });
    const event: DeliveredEvent = { ...built, topic: out.topic ?? topicFor(out.type) };
    log.push(event);
    const reactions: OutgoingEvent[] = [...workloadSdk(event)];
    for (const service of services) reactions.push(...(await service(event as IncomingEvent)));
    for (const next of reactions) await publish(next);
  }

  return {
    publish,
    log,
    restoreLog,
    types: () => log.map((e) => e.type.replace(/^io\.shadow\.(migration\.)?/, "")),
  };
}
