import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { topics as busTopics, createTopicsWithLeaders } from "@shadow/events";
import { hasEnded as ended, FENCE_LABEL, type MigrationView } from "@shadow/migration";
import { readRun, startLoad, verify } from "@shadow/testkit";
import { copyName, type Timeline } from "@shadow/timeline";
import { Kafka, logLevel } from "kafkajs";
import type { WorkloadEnvironment } from "./environment.ts";
import { freezesOf, shadowsConsumingOf } from "./freezes.ts";
import { type ScenarioOptions, scenarioOptions } from "./options.ts";
import type { ScenarioReport } from "./report.ts";
import { waitForServingToDrain } from "./serving-drain.ts";
import { longestStallOf } from "./stall.ts";
import { probeWorkload } from "./workload-probe.ts";

/** Calls the gateway's HTTP API as a client would. */
export async function gateway<T>(
  env: WorkloadEnvironment,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${env.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${env.token}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`gateway ${method} ${path}: ${res.status} ${json.error ?? ""}`);
  return json;
}

/** Polls `probe` every `intervalMs` (100 by default) until it returns a value; errors count as "not yet". */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** What the scenario asks the gateway for (the body of `POST /migrations`). */
export interface MigrationRequest {
  workload: string;
  targetNode: string;
  strategy: "shadow" | "sequential";
  identitySwap: boolean;
  imageTransfer?: "stream" | "registry" | "node-to-node";
}

export interface ScenarioHooks {
  /**
   * Requests the migration some other way than `POST /migrations` (the CLI, say); resolves with
   * its id once accepted.
   */
  requestMigration?(
    request: MigrationRequest,
  ): Promise<{ migrationId: string; traceLink?: string }>;
  /** Called once the migration was requested, with its id (crash tests kill services here). */
  onMigrationStarted?(migrationId: string): Promise<void>;
  /** Called once the migration ended, before the cooldown (and long before the teardown). */
  onMigrationEnded?(migration: MigrationView): Promise<void>;
}

/**
 * One live migration end to end: deploy the example service on the source node, put it under
 * load, migrate it through the gateway while probing it every 10 ms, let the load finish, and
 * verify every input against every output.
 */
export async function runScenario(
  env: WorkloadEnvironment,
  input: ScenarioOptions = {},
  log: (line: string) => void = () => undefined,
  hooks: ScenarioHooks = {},
): Promise<ScenarioReport> {
  const o = scenarioOptions.parse(input);
  const run = randomBytes(4).toString("hex");
  const topics = {
    input: `shadow.scenario.${run}.input`,
    output: `shadow.scenario.${run}.output`,
    dlq: `shadow.scenario.${run}.dlq`,
  };
  const kafka = new Kafka({
    clientId: `shadow-scenario-${run}`,
    brokers: env.brokers,
    logLevel: logLevel.WARN,
  });
  const admin = kafka.admin();
  await admin.connect();
  for (const stale of (await env.runtime.list()).filter((i) => i.workload === o.workload)) {
    await env.runtime.remove(stale.instance);
  }
  await createTopicsWithLeaders(admin, [
    { topic: topics.input, numPartitions: o.partitions },
    { topic: topics.output, numPartitions: o.partitions },
    { topic: topics.dlq, numPartitions: 1 },
  ]);
  await admin.disconnect();

  log(
    `starting ${o.workload} on ${o.sourceNode} (${o.costMs} ms per message, ${o.ballastMb} MB of state)`,
  );
  const deploy = env.workloads ? env.workloads.deploy : env.runtime.run.bind(env.runtime);
  const source = await deploy(
    {
      entry: env.workloadEntry,
      memoryBytes: (256 + 2 * o.ballastMb) * 1024 * 1024,
      httpPort: 8080,
      env: {
        SHADOW_KAFKA_BROKERS: env.nodeBrokers.join(","),
        SHADOW_INPUT_TOPICS: topics.input,
        SHADOW_OUTPUT_TOPIC: topics.output,
        SHADOW_DLQ_TOPIC: topics.dlq,
        SHADOW_COST_MS: String(o.costMs),
        SHADOW_BALLAST_MB: String(o.ballastMb),
        SHADOW_HTTP_PORT: "8080",
        // The bus's control topic as this process names it (see SHADOW_BUS_NAMESPACE).
        SHADOW_CONTROL_TOPIC: busTopics.control,
      },
      // The example service links the workload SDK: it can take part in a shadow handoff.
      labels: { [FENCE_LABEL]: "true" },
    },
    {
      workload: o.workload,
      instance: o.workload,
      node: o.sourceNode,
      role: "primary",
      incarnation: 0,
    },
  );
  // Whatever happens (a failed step, a timeout, a verifier error), the load stops and the
  // workload's instances go: a leftover would load every later run on this machine.
  let stopLoad: (() => void) | undefined;
  let stopProbe: (() => Promise<unknown>) | undefined;
  let migrationId: string | undefined;
  try {
    await waitFor("the workload to consume", 60_000, async () => {
      const res = await fetch(`http://${source.endpoint}/status`, {
        signal: AbortSignal.timeout(1000),
      });
      const status = (await res.json()) as { inputReady: boolean; controlReady: boolean };
      return status.inputReady && status.controlReady ? true : undefined;
    });

    const probe = probeWorkload(env.endpoints, o.workload);
    stopProbe = () => probe.stop();
    const load = startLoad({
      brokers: env.brokers,
      topic: topics.input,
      rate: o.rate,
      durationMs: o.warmupMs + o.migrationTimeoutMs + o.cooldownMs,
      keys: Math.max(o.partitions * 4, 8),
      run,
      badEvery: o.badEvery,
    });
    stopLoad = () => load.stop();
    log(
      `load: ${o.rate} msg/s on ${topics.input}; migrating after ${o.warmupMs} ms of steady state`,
    );
    await sleep(o.warmupMs);

    const windowStart = Date.now();
    const request: MigrationRequest = {
      workload: o.workload,
      targetNode: o.targetNode,
      strategy: o.strategy,
      identitySwap: o.identitySwap,
      ...(o.imageTransfer ? { imageTransfer: o.imageTransfer } : {}),
    };
    const accepted = hooks.requestMigration
      ? await hooks.requestMigration(request)
      : await gateway<{ migrationId: string; traceLink?: string }>(
          env,
          "POST",
          "/migrations",
          request,
        );
    migrationId = accepted.migrationId;
    log(`migration ${accepted.migrationId} requested`);
    await hooks.onMigrationStarted?.(accepted.migrationId);
    let lastPhase = "";
    const migration = await waitFor(
      `migration ${accepted.migrationId} to end`,
      o.migrationTimeoutMs,
      async () => {
        const view = await gateway<MigrationView>(
          env,
          "GET",
          `/migrations/${accepted.migrationId}`,
        );
        const phase = `${view.status} round ${view.round} ${view.phase}`;
        if (phase !== lastPhase) log(`  ${phase}`);
        lastPhase = phase;
        return ended(view) ? view : undefined;
      },
    );
    const windowEnd = Date.now();
    await hooks.onMigrationEnded?.(migration);
    const instancesAfter = await Promise.all(
      (await env.runtime.list())
        .filter((i) => i.workload === o.workload)
        .map(async (i) => ({
          instance: i.instance,
          node: i.node,
          state: i.state,
          // What the SDK runs as now: a restored shadow turns primary at the fence in memory,
          // while its identity file still names the role it woke up with.
          mode: await fetch(`http://${i.endpoint}/status`, { signal: AbortSignal.timeout(2000) })
            .then((r) => r.json() as Promise<{ mode: string }>)
            .then(
              (st) => st.mode,
              () => "unreachable",
            ),
        })),
    );
    await sleep(o.cooldownMs);
    const timeline = await timelineWithServingCopy(env, migration, log);
    load.stop();
    const loadResult = await load.done;
    // Let the serving instance finish what is queued before the outputs are read: first by its
    // own progress (cheap to ask, and a backlog may take minutes), then by the outputs.
    const drain = await waitForServingToDrain(env.runtime, kafka, o.workload, topics.input, {
      boundMs: Math.max(120_000, o.migrationTimeoutMs),
      stallMs: 30_000,
    });
    // The probe stops here, before the outputs are read: it runs in this process, and reading
    // and verifying a million records blocks this event loop for seconds, which the probe
    // counted as the workload's outage (4.7-5.8 s, 15 s after 10,000 msg/s migrations ended).
    const servingReport = await probe.stop();
    if (!drain.drained) {
      log(
        `the serving primary did not drain in ${drain.waitedMs} ms: processed ${drain.processed} of ` +
          `${drain.inputs} inputs, ${drain.inFlightOutputs} outputs in flight, ${drain.primaries} primaries answering`,
      );
    }
    const readRecords = () =>
      readRun(kafka, {
        inputTopics: [topics.input],
        outputTopic: topics.output,
        deadLetterTopic: topics.dlq,
      });
    await waitFor("the outputs to catch up with the inputs", 30_000, async () => {
      const report = verify(await readRecords(), { run });
      return report.lost.count === 0 ? true : undefined;
    }).catch(() => undefined);
    // Read again: an output written late (a duplicate) counts too.
    const records = await readRecords();
    const report = verify(records, {
      run,
      window: { start: windowStart, end: windowEnd },
      pauses: freezesOf(migration),
      consuming: shadowsConsumingOf(migration),
      idle: servingReport.idle,
    });
    const stall = longestStallOf(report.processingGap.longest, {
      migration,
      freezes: freezesOf(migration),
      idle: servingReport.idle,
      ...(servingReport.longestOutage ? { outage: servingReport.longestOutage } : {}),
    });
    return {
      options: o,
      migration,
      instancesAfter,
      probe: servingReport,
      verify: report,
      stall,
      load: { sent: loadResult.sent, achievedRate: loadResult.achievedRate },
      topics: Object.values(topics),
      drain,
      ...(accepted.traceLink ? { traceLink: accepted.traceLink } : {}),
      ...(timeline ? { timeline } : {}),
    };
  } finally {
    stopLoad?.();
    await stopProbe?.();
    await env.workloads?.teardown(o.workload).catch(() => undefined);
    for (const leftover of (await env.runtime.list()).filter((i) => i.workload === o.workload)) {
      await env.runtime.remove(leftover.instance).catch(() => undefined);
    }
    if (migrationId) await env.runtime.release(migrationId).catch(() => undefined);
    if (!o.keepTopics) await deleteRunTopics(kafka, Object.values(topics), log);
  }
}

/** Best effort: a topic left behind costs the broker a little, never a run its result. */
async function deleteRunTopics(
  kafka: Kafka,
  names: string[],
  log: (line: string) => void,
): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: names, timeout: 10_000 });
  } catch (error) {
    log(`could not delete the run's topics (${names.join(", ")}): ${String(error)}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** How long past the cooldown the timeline is awaited for the copy serving after the end. */
const SERVING_COPY_WAIT_MS = 10_000;

/**
 * The migration's timeline, once it shows the copy serving after the end (or after
 * SERVING_COPY_WAIT_MS more): on a busy machine a copy that just started can answer its first
 * status after the cooldown, and the picture would show no one serving. Missing when the
 * gateway cannot answer.
 */
async function timelineWithServingCopy(
  env: WorkloadEnvironment,
  migration: MigrationView,
  log: (line: string) => void,
): Promise<Timeline | undefined> {
  const path = `/migrations/${migration.migrationId}/timeline`;
  const last = copyName(migration.final ?? migration.handoff.from);
  const deadline = Date.now() + SERVING_COPY_WAIT_MS;
  for (;;) {
    const timeline = await gateway<Timeline>(env, "GET", path).catch((error: unknown) => {
      log(`no timeline of ${migration.migrationId}: ${String(error)}`);
      return undefined;
    });
    if (!timeline?.sampled) return timeline;
    if (timeline.activity.some((a) => a.copy === last) || Date.now() > deadline) return timeline;
    await sleep(250);
  }
}
