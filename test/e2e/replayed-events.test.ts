import { setTimeout as sleep } from "node:timers/promises";
import { MigrationRejected, toBinaryRecord, topics } from "@shadow/events";
import { hasEnded, type MigrationView } from "@shadow/migration";
import { formatReport, gateway, runScenario, waitFor } from "@shadow/scenario";
import { Kafka, logLevel, type Message, Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { directRequest } from "./kafka-requests.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadRecords } from "./workload-log.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();

describe("a finished migration's events, replayed byte for byte onto the live stack", () => {
  it("restore, checkpoint, fence and remove nothing: the workload keeps processing, nothing lost or duplicated", {
    timeout: 300_000,
  }, async () => {
    const workload = workloadName("replayed");
    let replayed = 0;
    let after: string[] = [];
    let before: string[] = [];
    const report = await runScenario(
      env(),
      {
        workload,
        strategy: "shadow",
        identitySwap: true,
        rate: 40,
        partitions: 2,
        warmupMs: 3_000,
        cooldownMs: 3_000,
      },
      (line) => console.log(line),
      {
        async onMigrationStarted(migrationId) {
          await waitFor(`migration ${migrationId} to end`, 120_000, async () => {
            const view = await gateway<MigrationView>(env(), "GET", `/migrations/${migrationId}`);
            return hasEnded(view) ? view : undefined;
          });
          const list = async () =>
            (await env().runtime.list())
              .filter((i) => i.workload === workload)
              .map((i) => `${i.instance}@${i.node} ${i.state}`);
          before = await list();
          // The whole migration, every event of it, as the log holds it: same key, value and
          // headers (so the same ids), in the same order, under load.
          const records = await workloadRecords(env().brokers, workload);
          replayed = records.length;
          const again: Message[] = records.map(({ message }) => ({
            key: message.key,
            value: message.value,
            headers: message.headers,
          }));
          // A request for no instance, last: once it is refused, admission has read the replay.
          const marker = directRequest({
            migrationId: `${migrationId}-marker`,
            workload,
            strategy: "sequential",
            source: { instance: `${workload}-nowhere`, node: "node-a" },
            targetNode: "node-b",
          });
          const kafka = new Kafka({
            clientId: "e2e-replay",
            brokers: env().brokers,
            logLevel: logLevel.WARN,
          });
          const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
          await producer.connect();
          await producer.send({ topic: topics.migrations, acks: -1, messages: again });
          await producer.send({
            topic: topics.migrations,
            acks: -1,
            messages: [toBinaryRecord(marker)],
          });
          await producer.disconnect();
          await waitFor("the marker's refusal", 60_000, async () =>
            (await workloadRecords(env().brokers, workload)).find(
              (r) => r.event?.type === MigrationRejected.type && r.event.subject === marker.subject,
            ),
          );
          // Time for the other services to read the replay too (each only skips it).
          await sleep(5_000);
          const log = await workloadRecords(env().brokers, workload);
          // The replay, the marker and its refusal: nothing else was emitted for them.
          expect(log.length).toBe(2 * replayed + 2);
          after = await list();
        },
      },
    );
    console.log(formatReport(report));
    expect(replayed).toBeGreaterThan(15);
    expect(after).toEqual(before);
    expect(report.migration.status).toBe("completed");
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBe(0);
    expect(report.instancesAfter).toEqual([
      { instance: workload, node: "node-b", state: "running", mode: "primary" },
    ]);
  });
});
