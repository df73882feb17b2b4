import { topics } from "@shadow/events";
import { shadowInstanceName } from "@shadow/migration";
import type { InstanceInfo } from "@shadow/runtime";
import { type ScenarioEnvironment, type ServiceName, waitFor } from "@shadow/scenario";
import { Kafka, logLevel } from "kafkajs";
import { type TopicWatch, watchTopics } from "./topic-events.ts";

/**
 * One migration's events as they arrive, on the migrations and control topics (or the ones
 * named): what a test waits on to act at an exact point of the choreography.
 */
export function watchMigration(
  brokers: string[],
  migrationId: string,
  topicNames: string[] = [topics.migrations, topics.control],
): Promise<TopicWatch> {
  const kafka = new Kafka({
    clientId: `e2e-watch-${migrationId}`,
    brokers,
    logLevel: logLevel.WARN,
  });
  return watchTopics(
    kafka,
    topicNames,
    (e) => (e.data as { migrationId?: unknown } | null)?.migrationId === migrationId,
  );
}

/**
 * Holds one of the environment's services (SIGSTOP): it consumes nothing until `release`
 * (SIGCONT; once, however often called), so a test can act between two of its steps.
 */
export function holdService(env: ScenarioEnvironment, name: ServiceName): { release(): void } {
  const pid = env.services.status().find((p) => p.name === name)?.pid;
  if (pid === undefined) throw new Error(`${name} is not running`);
  process.kill(pid, "SIGSTOP");
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      process.kill(pid, "SIGCONT");
    },
  };
}

/**
 * Stops (SIGSTOP) the migration's shadow the moment the runtime records it running. The shadow
 * replays the log as soon as it is restored and can catch up within a few hundred ms, so the
 * runtime's own record of it is watched every few ms: a listing of every instance every 100 ms
 * (runc list plus each one's memory) was seen to come too late on a loaded machine, after the
 * catch-up had already ended and the fence begun.
 */
export async function stopShadowOnceItRuns(
  env: ScenarioEnvironment,
  workload: string,
  migrationId: string,
): Promise<InstanceInfo> {
  const name = shadowInstanceName(workload, migrationId);
  const shadow = await waitFor(
    `the shadow ${name} to run`,
    60_000,
    async () => {
      const info = await env.runtime.inspect(name);
      return info?.pid !== undefined ? info : undefined;
    },
    5,
  );
  process.kill(shadow.pid as number, "SIGSTOP");
  return shadow;
}
