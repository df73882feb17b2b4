import { randomBytes } from "node:crypto";
import {
  buildEvent,
  MigrationAdmitted,
  MigrationRequested,
  type ShadowEvent,
  toBinaryRecord,
  topics,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import type { FoldableEvent, LogPosition } from "@shadow/migration";
import { Kafka, logLevel, type Message, Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureBusTopics } from "../src/ensure-topics.ts";
import { followMigrationsLog, type MigrationsLogFeed } from "../src/migrations-log-feed.ts";

// A bus of this test's own on the shared broker.
process.env.SHADOW_BUS_NAMESPACE = `host-feed-${randomBytes(3).toString("hex")}`;
const kafka = new Kafka({
  clientId: "host-feed-test",
  brokers: inject("kafkaBrokers"),
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });

/** A migration requested for `workload`: workloads key the records, so they spread over partitions. */
function requested(migrationId: string, workload: string): ShadowEvent {
  const data = { ...sampleData(migrationId)[MigrationRequested.type], workload };
  return buildEvent(MigrationRequested, data, { source: "/feed-test" });
}

async function send(...messages: Message[]) {
  await producer.send({ topic: topics.migrations, acks: -1, messages });
}

/** A reader that notes what it is handed, as the services' projections fold it. */
function noting() {
  const events: { event: FoldableEvent; position: LogPosition }[] = [];
  const invalid: { code: string; reason: string }[] = [];
  return {
    events,
    invalid,
    ids: () => events.map((e) => e.event.id),
    reader: {
      groupPrefix: "host-feed-test",
      onEvent: (event: FoldableEvent, position: LogPosition) => {
        events.push({ event, position });
      },
      onInvalid: (i: { code: string; reason: string }) => {
        invalid.push(i);
      },
    },
  };
}

const feeds: MigrationsLogFeed[] = [];
async function follow(reader: Parameters<typeof followMigrationsLog>[1]) {
  const feed = await followMigrationsLog(kafka, reader);
  feeds.push(feed);
  return feed;
}

beforeAll(async () => {
  await ensureBusTopics(kafka);
  await producer.connect();
});

afterAll(async () => {
  await Promise.all(feeds.map((f) => f.stop()));
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const names = [topics.migrations, topics.control, topics.pressure, topics.deadLetter];
  await admin.deleteTopics({ topics: names }).catch(() => undefined);
  await admin.disconnect();
});

describe("following the migrations log", () => {
  it("has caught up at once on an empty log", async () => {
    const seen = noting();
    const feed = await follow(seen.reader);
    await feed.caughtUp;
    await feed.readToEnd(1_000);
    expect(seen.events).toEqual([]);
  });

  const before = [
    requested("m-1", "orders"),
    requested("m-2", "billing"),
    requested("m-3", "search"),
    requested("m-4", "carts"),
  ];

  it("hands over every record the log held at start before it has caught up", async () => {
    await send(...before.map((e) => toBinaryRecord(e)));
    await send({ key: "orders", value: "not an event" });
    const admitted = buildEvent(MigrationAdmitted, sampleData("m-1")[MigrationAdmitted.type], {
      source: "/feed-test",
    });
    await send(toBinaryRecord(admitted));

    const seen = noting();
    const feed = await follow(seen.reader);
    await feed.caughtUp;
    const expected = [...before, admitted].map((e) => `/feed-test/${e.id}`);
    expect(seen.ids().sort()).toEqual(expected.sort());
    expect(seen.invalid).toEqual([{ code: "invalid-json", reason: expect.any(String) }]);
    // Each record with its place in the log, keyed by its workload, in its partition's order.
    const m1 = seen.events.filter((e) => e.position.key === "orders");
    expect(m1.map((e) => e.event.type)).toEqual([MigrationRequested.type, MigrationAdmitted.type]);
    expect(BigInt(m1[1]?.position.offset ?? -1)).toBeGreaterThan(
      BigInt(m1[0]?.position.offset ?? 0),
    );
    expect(new Set(seen.events.map((e) => e.position.partition)).size).toBeGreaterThan(1);
  });

  it("reads up to the log's end as it is at the call, in a group of its own", async () => {
    const first = noting();
    const feed = await follow(first.reader);
    await feed.caughtUp;
    const later = [requested("m-5", "orders"), requested("m-6", "billing")];
    await send(...later.map((e) => toBinaryRecord(e)));
    await feed.readToEnd(30_000);
    const ids = first.ids();
    for (const e of later) expect(ids).toContain(`/feed-test/${e.id}`);

    // A second reader starts from the beginning too: the group is not shared.
    const second = noting();
    const other = await follow(second.reader);
    await other.caughtUp;
    expect(second.ids().sort()).toEqual(ids.sort());
  });

  it("says which partitions are behind when it cannot read to the end in time", async () => {
    let held = true;
    const stuck = requested("m-7", "orders");
    const seen = noting();
    const feed = await follow({
      ...seen.reader,
      onEvent(event, position) {
        // A fold that cannot take a record yet: kafkajs hands it over again later.
        if (held && event.id.endsWith(stuck.id)) throw new Error("held");
        seen.reader.onEvent(event, position);
      },
    });
    await feed.caughtUp;
    await send(toBinaryRecord(stuck));
    const error = await feed.readToEnd(500).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "LOG_BEHIND", retryable: true });
    expect(String((error as Error).message)).toMatch(/partitions \d+ behind/);

    held = false;
    await feed.readToEnd(60_000);
    expect(seen.ids()).toContain(`/feed-test/${stuck.id}`);
  });
});
