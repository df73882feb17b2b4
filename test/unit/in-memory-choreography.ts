import { createCheckpointService } from "@shadow/checkpoint-svc";
import { createDrainService } from "@shadow/drain-svc";
import { FenceCut, FencePassed, FenceRequested, topics } from "@shadow/events";
import { createFenceService } from "@shadow/fence-svc";
import { createImageService } from "@shadow/image-svc";
import type { Incoming, Outgoing } from "@shadow/migration";
import { createRestoreService, type InstanceProgress } from "@shadow/restore-svc";
import type { FakeRuntime } from "@shadow/runtime/fake";

type HandlerMap = Record<string, (e: Incoming) => Promise<Outgoing[]>>;

export interface DeliveredEvent extends Incoming {
  topic: string;
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
  } = {},
) {
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const now = () => clock;
  const services: HandlerMap[] = [
    createCheckpointService({ runtime }),
    createImageService({ runtime }),
    createRestoreService({
      runtime,
      progress:
        options.progress ?? (async () => ({ offsets: [{ topic: "in", partition: 0, offset: 9 }] })),
      catchUpThreshold: 0,
      catchUpTimeoutMs: 1000,
      pollIntervalMs: 100,
      sleep: async (ms) => {
        clock += ms;
      },
      now,
    }),
    createFenceService(),
    createDrainService({ runtime, now }),
  ];
  const log: DeliveredEvent[] = [];
  let seq = 0;

  const workloadSdk = (e: Incoming): Outgoing[] => {
    if (e.type !== FenceRequested.type || options.answerFence === false) return [];
    const d = FenceRequested.schema.parse(e.data);
    const cut = [{ topic: "in", partition: 0, offset: 9 }];
    const pausedAt = new Date(clock).toISOString();
    clock += 5;
    return [
      {
        type: FenceCut.type,
        topic: topics.control,
        data: { ...d, instance: d.handoff.from.instance, cut, pausedAt },
      },
      {
        type: FencePassed.type,
        topic: topics.control,
        data: {
          ...d,
          instance: d.handoff.to.instance,
          cut,
          pausedAt,
          passedAt: new Date(clock).toISOString(),
        },
      },
    ];
  };

  async function publish(out: Outgoing): Promise<void> {
    seq += 1;
    clock += 1;
    const event: DeliveredEvent = {
      id: `e${seq}`,
      type: out.type,
      source: "/test",
      time: new Date(clock).toISOString(),
      data: out.data,
      topic: out.topic ?? topics.migrations,
    };
    log.push(event);
    const reactions: Outgoing[] = [...workloadSdk(event)];
    for (const service of services) {
      const handler = service[event.type];
      if (handler) reactions.push(...(await handler(event)));
    }
    for (const next of reactions) await publish(next);
  }

  return {
    publish,
    log,
    types: () => log.map((e) => e.type.replace(/^io\.shadow\.(migration\.)?/, "")),
  };
}
