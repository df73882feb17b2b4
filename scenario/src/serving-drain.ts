import { setTimeout as sleep } from "node:timers/promises";
import { topicOffsets } from "@shadow/events";
import type { Runtime } from "@shadow/runtime";
import type { Kafka } from "kafkajs";

interface ServingStatus {
  mode: string;
  processed: { topic: string; partition: number; offset: number }[];
  inFlightOutputs: number;
}

/** How the wait for the serving primary ended; what it last saw when it gave up. */
export interface ServingDrain {
  drained: boolean;
  /** Input records in the log when the wait began, summed over partitions. */
  inputs: number;
  /** The most any primary had processed (offsets + 1, summed), and its outputs in flight. */
  processed: number;
  inFlightOutputs: number;
  /** Primaries that answered the last poll. */
  primaries: number;
  waitedMs: number;
}

/**
 * Waits until the workload's primary has processed every input record in the log and has every
 * output acknowledged, so the verifier counts as lost only what is really lost: after a
 * migration that ended with a backlog (a saturated source, a slowed one) the new primary may owe
 * thousands of outputs for minutes. Gives up when its progress stalls for `stallMs` or after
 * `boundMs`, and says what it last saw (outputs a stalled primary owes are counted lost).
 */
export async function waitForServingToDrain(
  runtime: Pick<Runtime, "list">,
  kafka: Kafka,
  workload: string,
  inputTopic: string,
  options: { boundMs: number; stallMs: number },
): Promise<ServingDrain> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await topicOffsets(admin, inputTopic).finally(() => admin.disconnect());
  const started = Date.now();
  const deadline = started + options.boundMs;
  const seen: ServingDrain = {
    drained: false,
    inputs: ends.reduce((n, e) => n + Number(e.high), 0),
    processed: 0,
    inFlightOutputs: 0,
    primaries: 0,
    waitedMs: 0,
  };
  let bestAt = Date.now();
  while (Date.now() < deadline && Date.now() - bestAt < options.stallMs) {
    const statuses = await primaries(runtime, workload);
    seen.primaries = statuses.length;
    for (const status of statuses) {
      const at = new Map(
        status.processed.filter((p) => p.topic === inputTopic).map((p) => [p.partition, p.offset]),
      );
      const done = ends.every(
        (e) => Number(e.high) === 0 || (at.get(e.partition) ?? -1) >= Number(e.high) - 1,
      );
      const total = [...at.values()].reduce((n, o) => n + o + 1, 0);
      if (total > seen.processed) {
        seen.processed = total;
        bestAt = Date.now();
      }
      seen.inFlightOutputs = status.inFlightOutputs;
      if (done && status.inFlightOutputs === 0) {
        return { ...seen, drained: true, waitedMs: Date.now() - started };
      }
    }
    await sleep(500);
  }
  return { ...seen, waitedMs: Date.now() - started };
}

async function primaries(
  runtime: Pick<Runtime, "list">,
  workload: string,
): Promise<ServingStatus[]> {
  const instances = (await runtime.list()).filter(
    (i) => i.workload === workload && i.state === "running",
  );
  const statuses = await Promise.all(
    instances.map((i) =>
      fetch(`http://${i.endpoint}/status`, { signal: AbortSignal.timeout(5_000) })
        .then((r) => r.json() as Promise<ServingStatus>)
        .catch(() => undefined),
    ),
  );
  return statuses.filter((s): s is ServingStatus => s?.mode === "primary");
}
