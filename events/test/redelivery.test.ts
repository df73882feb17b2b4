import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createLogger } from "@shadow/otel/logger";
import type { Kafka } from "kafkajs";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import {
  buildEvent,
  CheckpointCreated,
  type ConsumerRunner,
  createConsumerRunner,
  createPublisher,
  type Handlers,
  MigrationRequested,
  type Publisher,
} from "../src/index.ts";
import { sampleData } from "../src/testing/index.ts";
import { checkpointFor } from "./fixtures/checkpoint-handler.ts";
import {
  brokers,
  createTopics,
  deleteTopics,
  eventually,
  fastConsumer,
  header,
  randomName,
  readTopic,
  testKafka,
} from "./support.ts";

/**
 * "One effect" per event, seen from downstream: the same event delivered twice, and a consumer
 * killed after emitting but before committing, both leave the next consumer with one event.
 */
const kafka = testKafka("redelivery");
const quiet = createLogger({ name: "redelivery", level: "silent" });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function request(migrationId: string) {
  return buildEvent(
    MigrationRequested,
    sampleData(migrationId)["io.shadow.migration.requested.v1"],
    {
      source: "/shadow/redelivery-test",
    },
  );
}

async function topicsFor(test: string) {
  const names = {
    in: randomName(`${test}-in`),
    out: randomName(`${test}-out`),
    dlq: randomName(`${test}-dlq`),
  };
  await createTopics(kafka, Object.values(names));
  cleanups.push(() => deleteTopics(kafka, Object.values(names)));
  return names;
}

async function startRunner<D>(
  k: Kafka,
  options: { groupId: string; topic: string; dlq: string; handlers: Handlers<D>; deps: D },
): Promise<ConsumerRunner> {
  const runner = createConsumerRunner({
    kafka: k,
    groupId: options.groupId,
    topics: [options.topic],
    handlers: options.handlers,
    deps: options.deps,
    source: "/shadow/redelivery-test",
    deadLetterTopic: options.dlq,
    fromBeginning: true,
    consumer: { ...fastConsumer, sessionTimeout: 6_000, heartbeatInterval: 500 },
    logger: quiet,
  });
  cleanups.push(() => runner.stop());
  await runner.start();
  return runner;
}

/** The downstream view: a consumer of the output topic counting CheckpointCreated by id. */
async function downstream(topics: { out: string; dlq: string }) {
  const seen = new Map<string, number>();
  const runner = await startRunner(kafka, {
    groupId: randomName("downstream"),
    topic: topics.out,
    dlq: topics.dlq,
    deps: {},
    handlers: {
      [CheckpointCreated.type]: async (event) => {
        seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
        return [];
      },
    },
  });
  return { seen, runner };
}

async function publisher(): Promise<Publisher> {
  const p = createPublisher({ kafka, source: "/shadow/redelivery-test" });
  cleanups.push(() => p.disconnect());
  return p;
}

describe("one effect per event", () => {
  it("handles an event sent twice (same source and id) once", async () => {
    const topics = await topicsFor("twice");
    const calls = { count: 0 };
    const runner = await startRunner(kafka, {
      groupId: randomName("twice"),
      topic: topics.in,
      dlq: topics.dlq,
      deps: {},
      handlers: { [MigrationRequested.type]: checkpointFor(topics.out, calls) },
    });
    const out = await readTopic(kafka, topics.out);
    cleanups.push(() => out.stop());

    const event = request("m-twice");
    const marker = request("m-marker");
    const p = await publisher();
    await p.send([{ topic: topics.in, event }]);
    await p.send([{ topic: topics.in, event }]);
    // One partition, handled in order: once the marker's output is there, a second output
    // for the duplicate would have been written before it.
    await p.send([{ topic: topics.in, event: marker }]);
    await eventually("all three records consumed", () => runner.stats().received === 3);
    // A record is counted when handled, and committed just after: wait for the last commit.
    await eventually("the third commit", () => runner.stats().commits >= 3);

    expect(calls.count).toBe(2);
    expect(runner.stats()).toMatchObject({ handled: 2, duplicates: 1, commits: 3 });
    await eventually("the marker's output arrived", () =>
      out.records.some((r) => header(r, "ce_subject") === "m-marker"),
    );
    expect(out.records.map((r) => header(r, "ce_subject"))).toEqual(["m-twice", "m-marker"]);
  });

  it("leaves downstream one event when a consumer dies after emitting, before committing", async () => {
    const topics = await topicsFor("crash");
    const groupId = randomName("crash");
    const out = await readTopic(kafka, topics.out);
    cleanups.push(() => out.stop());
    const down = await downstream(topics);

    // First life: a child process that emits, then hangs before the commit; killed there.
    const child = spawnFixture({
      brokers: brokers(),
      topic: topics.in,
      outTopic: topics.out,
      deadLetterTopic: topics.dlq,
      groupId,
      source: "/shadow/redelivery-test",
    });
    cleanups.push(async () => child.process.kill("SIGKILL"));
    await child.waitFor("JOINED");
    const event = request("m-crash");
    const p = await publisher();
    await p.send([{ topic: topics.in, event }]);
    const emittedLine = await child.waitFor("EMITTED");
    child.process.kill("SIGKILL");
    const firstIds = emittedLine.slice("EMITTED ".length).split(",");

    // Second life: same group, fresh in-memory dedupe; the uncommitted record comes again.
    const calls = { count: 0 };
    const second = await startRunner(kafka, {
      groupId,
      topic: topics.in,
      dlq: topics.dlq,
      deps: {},
      handlers: { [MigrationRequested.type]: checkpointFor(topics.out, calls) },
    });
    await eventually(
      "the record redelivered and handled again",
      () => second.stats().handled === 1,
      60_000,
    );
    expect(calls.count).toBe(1);

    // The output topic holds the event twice, under the same id: a recognisable duplicate...
    await eventually("both emissions on the output topic", () => out.records.length === 2);
    expect(out.records.map((r) => header(r, "ce_id"))).toEqual([...firstIds, ...firstIds]);
    // ...which downstream handles once.
    await eventually("downstream consumed both copies", () => down.runner.stats().received === 2);
    expect([...down.seen.entries()]).toEqual([[firstIds[0], 1]]);
    expect(down.runner.stats()).toMatchObject({ handled: 1, duplicates: 1 });
  });
});

const fixture = fileURLToPath(new URL("./fixtures/crash-before-commit.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

function spawnFixture(config: Record<string, unknown>) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", fixture], {
    cwd: repoRoot,
    env: { ...process.env, SHADOW_FIXTURE: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  onTestFinished(() => {
    child.kill("SIGKILL");
  });
  return {
    process: child,
    async waitFor(marker: string): Promise<string> {
      let line: string | undefined;
      await eventually(
        `fixture to print ${marker}`,
        () => {
          if (child.exitCode !== null)
            throw new Error(`fixture exited ${child.exitCode}: ${stderr}`);
          line = stdout.split("\n").find((l) => l.startsWith(marker));
          return line !== undefined;
        },
        60_000,
      );
      return line as string;
    },
  };
}

describe("records a service only skips", () => {
  it("are committed when the runner stops, so a restart does not read them again", async () => {
    const topics = await topicsFor("skipped");
    const groupId = randomName("skipped");
    // No handler for MigrationRequested: each record is ignored, its commit deferred.
    const runner = await startRunner(kafka, {
      groupId,
      topic: topics.in,
      dlq: topics.dlq,
      deps: {},
      handlers: {},
    });
    const p = await publisher();
    for (const id of ["m-skip-1", "m-skip-2", "m-skip-3"])
      await p.send([{ topic: topics.in, event: request(id) }]);
    await eventually("three records read", () => runner.stats().received === 3);
    expect(runner.stats()).toMatchObject({ ignored: 3, commits: 0 });
    await runner.stop();
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topics.in] });
      expect(committed?.partitions).toEqual([{ partition: 0, offset: "3", metadata: null }]);
    } finally {
      await admin.disconnect();
    }
  });
});
