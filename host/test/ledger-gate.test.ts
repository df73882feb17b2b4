import { randomBytes } from "node:crypto";
import {
  buildEvent,
  CheckpointCreated,
  type IncomingEvent,
  MigrationAdmitted,
  MigrationCompleted,
  MigrationRequested,
  readLog,
  toBinaryRecord,
  topicOffsets,
  topics,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { LogLedger } from "@shadow/migration";
import { createLogger } from "@shadow/otel/logger";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureBusTopics } from "../src/ensure-topics.ts";
import { LedgerGate } from "../src/ledger-gate.ts";

// A bus of this test's own on the shared broker.
process.env.SHADOW_BUS_NAMESPACE = `host-gate-${randomBytes(3).toString("hex")}`;
const kafka = new Kafka({
  clientId: "host-gate-test",
  brokers: inject("kafkaBrokers"),
  logLevel: logLevel.NOTHING,
});
const logger = createLogger({ name: "host-gate-test", level: "silent" });

/** The sample migrations' log: m-1 admitted, m-2 refused (busy), m-1 runs and completes. */
const log = [
  buildEvent(MigrationRequested, sampleData("m-1")[MigrationRequested.type], { source: "/g" }),
  buildEvent(MigrationRequested, sampleData("m-2")[MigrationRequested.type], { source: "/g" }),
  buildEvent(MigrationAdmitted, sampleData("m-1")[MigrationAdmitted.type], { source: "/a" }),
  buildEvent(CheckpointCreated, sampleData("m-1")[CheckpointCreated.type], { source: "/c" }),
  buildEvent(CheckpointCreated, sampleData("m-1")[CheckpointCreated.type], { source: "/c" }),
  buildEvent(MigrationCompleted, sampleData("m-1")[MigrationCompleted.type], { source: "/d" }),
  buildEvent(MigrationRequested, sampleData("m-3")[MigrationRequested.type], { source: "/g" }),
];

interface Placed {
  event: IncomingEvent;
  partition: number;
  offset: string;
  key: string | null;
}
let placed: Placed[] = [];

beforeAll(async () => {
  await ensureBusTopics(kafka);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (const e of log) {
    await producer.send({ topic: topics.migrations, acks: -1, messages: [toBinaryRecord(e)] });
  }
  await producer.disconnect();
  // Where each landed, as a consumer reads it back.
  const admin = kafka.admin();
  await admin.connect();
  const until = new Map<number, bigint>();
  for (const { partition, high } of await topicOffsets(admin, topics.migrations)) {
    until.set(partition, BigInt(high));
  }
  await admin.disconnect();
  placed = [];
  await readLog(kafka, topics.migrations, until, (partition, message) => {
    const id = message.headers?.ce_id?.toString();
    const e = log.find((x) => x.id === id);
    if (e) {
      placed.push({
        event: e as IncomingEvent,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
      });
    }
  });
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  const names = [topics.migrations, topics.control, topics.pressure, topics.deadLetter];
  await admin.deleteTopics({ topics: names }).catch(() => undefined);
  await admin.disconnect();
});

/** What a ledger that read the whole log in one go says of each event. */
function judgedOnce(): string[] {
  const ledger = new LogLedger();
  return placed.map((p) => ledger.apply(p.event, { ...p }).kind);
}

describe("the services' gate over the real log", () => {
  it("puts every event of the workload's migrations in one partition, keyed by the workload", () => {
    expect(placed).toHaveLength(log.length);
    expect(new Set(placed.map((p) => p.partition)).size).toBe(1);
    expect(new Set(placed.map((p) => p.key))).toEqual(new Set(["orders"]));
  });

  it.each([0, 2, 4, 6])(
    "judges every event after a restart at offset %i as a process that never stopped does",
    async (cut) => {
      const partition = placed[0]?.partition ?? 0;
      const groupId = `host-gate-${randomBytes(4).toString("hex")}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.setOffsets({
        groupId,
        topic: topics.migrations,
        partitions: [{ partition, offset: placed[cut]?.offset ?? "0" }],
      });
      await admin.disconnect();
      const ledger = new LogLedger();
      const gate = new LedgerGate(kafka, ledger, logger);
      await gate.start(groupId);
      const after: string[] = [];
      for (const p of placed.slice(cut)) {
        const verdict = await gate.judge(p.event, { topic: topics.migrations, ...p });
        after.push(verdict.act ? "act" : "invalid" in verdict ? "invalid" : "stale");
      }
      expect(after).toEqual(judgedOnce().slice(cut));
      // What lies beyond the restart point was read ahead: m-1's verdict is known.
      expect(ledger.answeredAhead("m-1")).toBe(cut <= 2);
    },
  );

  it("folds a partition again when a record comes that is not the next one it expects", async () => {
    const ledger = new LogLedger();
    const gate = new LedgerGate(kafka, ledger, logger);
    // Nothing folded: the partition came from another member, at its sixth record.
    const p = placed[5] as Placed;
    const verdict = await gate.judge(p.event, { topic: topics.migrations, ...p });
    expect(verdict.act).toBe(true);
    expect(ledger.migration("m-1")?.stage).toBe("ended");
    expect(ledger.migration("m-2")?.decision).toEqual({ kind: "busy", running: "m-1" });
  });

  it("keeps what it knew of the partition while it folds it again", async () => {
    const ledger = new LogLedger();
    const gate = new LedgerGate(kafka, ledger, logger);
    const partition = placed[0]?.partition ?? 0;
    // Folded up to m-1's first checkpoint: m-1 is admitted and running.
    for (const p of placed.slice(0, 4))
      await gate.judge(p.event, { topic: topics.migrations, ...p });
    expect(ledger.migration("m-1")?.stage).toBe("admitted");
    // A record handed over again after a rebalance: the partition is folded again from its
    // start. Whoever asks meanwhile (restore-svc's catch-up watch asks every few ms whether
    // its migration is still live, and ends when it is not) must see m-1 as it was.
    const seen = new Set<string | undefined>();
    let asking = true;
    const ask = (async () => {
      while (asking) {
        seen.add(ledger.migration("m-1")?.stage);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const again = placed[2] as Placed;
    await gate.judge(again.event, { topic: topics.migrations, ...again });
    asking = false;
    await ask;
    expect(seen).toEqual(new Set(["admitted"]));
    expect(ledger.expects(partition, placed[3]?.offset ?? "")).toBe(true);
  });
});
