import { randomBytes } from "node:crypto";
import {
  dlqHeaders,
  MigrationRejected,
  readLog,
  type ShadowEvent,
  toBinaryRecord,
  topicOffsets,
  topics,
} from "@shadow/events";
import type { MigrationView } from "@shadow/migration";
import { waitFor } from "@shadow/scenario";
import { Kafka, type KafkaMessage, logLevel, Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { directRequest } from "./kafka-requests.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadLog } from "./workload-log.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();

const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();

/** The dead letters of the bus so far, as admission-svc wrote them. */
async function deadLetters(): Promise<KafkaMessage[]> {
  const kafka = new Kafka({ clientId: "e2e-dlq", brokers: env().brokers, logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  const until = new Map<number, bigint>();
  for (const { partition, high } of await topicOffsets(admin, topics.deadLetter)) {
    until.set(partition, BigInt(high));
  }
  await admin.disconnect();
  const out: KafkaMessage[] = [];
  await readLog(kafka, topics.deadLetter, until, (_p, m) => {
    if (header(m, dlqHeaders.consumerGroup)?.startsWith("shadow.admission-svc.")) out.push(m);
  });
  return out;
}

async function views(): Promise<MigrationView[]> {
  const res = await fetch(`${env().gatewayUrl}/migrations`, {
    headers: { authorization: `Bearer ${env().token}` },
  });
  return ((await res.json()) as { migrations: MigrationView[] }).migrations;
}

describe("malformed migration requests on the live stack", () => {
  it("end in the dead-letter topic with their reason, hold no workload, and leave no migration behind", async () => {
    const workload = workloadName("malformed");
    const run = randomBytes(3).toString("hex");
    const request = (id: string) =>
      directRequest({
        migrationId: id,
        workload,
        strategy: "sequential",
        source: { instance: workload, node: "node-a" },
        targetNode: "node-b",
      });
    const bad: { code: string; reason: string; event: ShadowEvent; key?: string }[] = [
      {
        // Once left a migration "running" in the gateway for good: its view was keyed by the
        // subject, the services' follow-ups by the id.
        code: "subject-mismatch",
        reason: `m-${run}-other`,
        event: { ...request(`m-${run}-subject`), subject: `m-${run}-other` },
      },
      {
        code: "envelope-invalid",
        reason: "id",
        event: { ...request(`m-${run}-long-id`), id: "x".repeat(10_000) },
      },
      {
        code: "schema-invalid",
        reason: "reason",
        event: {
          ...request(`m-${run}-long-reason`),
          data: { ...(request(`m-${run}-long-reason`).data as object), reason: "r".repeat(600) },
        },
      },
      {
        // Keyed by its migration id: it would sit outside its workload's order.
        code: "misrouted",
        reason: `keyed by its workload "${workload}"`,
        event: request(`m-${run}-misrouted`),
        key: `m-${run}-misrouted`,
      },
    ];
    const kafka = new Kafka({
      clientId: "e2e-producer",
      brokers: env().brokers,
      logLevel: logLevel.WARN,
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: topics.migrations,
      acks: -1,
      messages: bad.map((b) => ({ ...toBinaryRecord(b.event), ...(b.key ? { key: b.key } : {}) })),
    });
    await producer.disconnect();

    const letters = await waitFor(
      "every bad request in the dead-letter topic",
      60_000,
      async () => {
        const all = await deadLetters();
        const ours = bad.map((b) => all.find((m) => header(m, "ce_id") === b.event.id));
        return ours.every(Boolean) ? (ours as KafkaMessage[]) : undefined;
      },
    );
    for (const [i, b] of bad.entries()) {
      const letter = letters[i] as KafkaMessage;
      expect(header(letter, dlqHeaders.code), b.code).toBe(b.code);
      expect(header(letter, dlqHeaders.reason), b.code).toContain(b.reason);
      expect(header(letter, dlqHeaders.sourceTopic)).toBe(topics.migrations);
    }

    // The gateway shows none of them as a migration, by id or by subject.
    const shown = new Set((await views()).map((v) => v.migrationId));
    for (const b of bad) {
      expect(shown.has(b.event.subject), b.code).toBe(false);
      expect(shown.has((b.event.data as { migrationId: string }).migrationId), b.code).toBe(false);
    }

    // Nor do they hold the workload: a well-formed request after them is answered for itself
    // (there is no such instance), not refused as if a migration were under way.
    const good = request(`m-${run}-good`);
    const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await p.connect();
    await p.send({ topic: topics.migrations, acks: -1, messages: [toBinaryRecord(good)] });
    await p.disconnect();
    const verdict = await waitFor("the well-formed request's verdict", 60_000, async () =>
      (await workloadLog(env().brokers, workload)).find(
        (e) => e.type === MigrationRejected.type && e.subject === good.subject,
      ),
    );
    expect(MigrationRejected.schema.parse(verdict.data).code).toBe("UNKNOWN_INSTANCE");
  });
});
