import type { ScenarioEnvironment } from "@shadow/scenario";

/** The input topic a workload's serving instance consumes, as its SDK reports it (`/status`). */
export async function inputTopicOf(env: ScenarioEnvironment, workload: string): Promise<string> {
  const source = (await env.runtime.list()).find((i) => i.instance === workload);
  if (!source) throw new Error(`${workload} does not run`);
  const response = await fetch(`http://${source.endpoint}/status`, {
    signal: AbortSignal.timeout(2000),
  });
  const status = (await response.json()) as { assigned: { topic: string; partition: number }[] };
  const topic = status.assigned[0]?.topic;
  if (!topic) throw new Error(`${workload} has no input partitions assigned`);
  return topic;
}
