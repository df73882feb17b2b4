import { setTimeout as sleep } from "node:timers/promises";
import type { Runtime } from "@shadow/runtime";
import type { Kafka } from "kafkajs";

interface ServingStatus {
  mode: string;
  processed: { topic: string; partition: number; offset: number }[];
  inFlightOutputs: number;
}

/**
 * Waits until the workload's primary has processed every input record in the log and has every
 * output acknowledged, so the verifier counts as lost only what is really lost: after a
 * migration that ended with a backlog (a saturated source, a slowed one) the new primary may owe
 * thousands of outputs for minutes. Gives up when its progress stalls for `stallMs` or after
 * `boundMs`; returns whether it drained.
 */
export async function waitForServingToDrain(
  runtime: Pick<Runtime, "list">,
  kafka: Kafka,
  workload: string,
  inputTopic: string,
  options: { boundMs: number; stallMs: number },
): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(inputTopic).finally(() => admin.disconnect());
  const deadline = Date.now() + options.boundMs;
  let best = -1;
  let bestAt = Date.now();
  while (Date.now() < deadline && Date.now() - bestAt < options.stallMs) {
    for (const status of await primaries(runtime, workload)) {
      const at = new Map(
        status.processed.filter((p) => p.topic === inputTopic).map((p) => [p.partition, p.offset]),
      );
      const done = ends.every(
        (e) => Number(e.high) === 0 || (at.get(e.partition) ?? -1) >= Number(e.high) - 1,
      );
      if (done && status.inFlightOutputs === 0) return true;
      const total = [...at.values()].reduce((n, o) => n + o, 0);
      if (total > best) {
        best = total;
        bestAt = Date.now();
      }
    }
    await sleep(500);
  }
  return false;
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
