import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { topicOffsets } from "@shadow/events";
import { Partitioners } from "kafkajs";
import { describe, expect, inject, onTestFinished, test, vi } from "vitest";
import { jaegerServices, jaegerTrace, otlpHttpEndpoint } from "../setup/jaeger.ts";
import {
  createTopic,
  deleteTopic,
  fastConsumer,
  joined,
  randomGroup,
  randomTopic,
  testKafka,
} from "../setup/kafka.ts";

// The local stack itself: if these fail, every other integration test will too.

describe("Kafka", () => {
  test("a consumer group receives what a producer sends, in order per key", async () => {
    const kafka = testKafka("stack-test");
    const topic = randomTopic("stack-roundtrip");
    await createTopic(topic, 3);
    onTestFinished(() => deleteTopic(topic));

    const consumer = kafka.consumer({ groupId: randomGroup("stack-roundtrip"), ...fastConsumer });
    await consumer.connect();
    onTestFinished(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; seq: number; partition: number }[] = [];
    const hasJoined = joined(consumer);
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({
          key: message.key?.toString() ?? "",
          seq: Number(message.value?.toString()),
          partition,
        });
      },
    });
    await hasJoined;

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const keys = ["a", "b", "c", "d"];
    const sent = Array.from({ length: 40 }, (_, seq) => ({ key: keys[seq % keys.length], seq }));
    await producer.send({
      topic,
      messages: sent.map(({ key, seq }) => ({ key, value: String(seq) })),
    });

    await vi.waitFor(() => expect(received).toHaveLength(sent.length), {
      timeout: 20_000,
      interval: 50,
    });
    for (const key of keys) {
      const mine = received.filter((r) => r.key === key);
      expect(mine.map((r) => r.seq)).toEqual(sent.filter((s) => s.key === key).map((s) => s.seq));
      // One key, one partition: what keeps a migration's events ordered.
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
    }
  });

  test("kafkajs 2.2.4 features the project uses work against this broker", async () => {
    const kafka = testKafka("stack-compat");
    const topic = randomTopic("stack-compat");
    const groupId = randomGroup("stack-compat");
    await createTopic(topic, 2);
    onTestFinished(() => deleteTopic(topic));
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());

    // Idempotent producer: InitProducerId and sequence numbers.
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `m${i}` })),
    });
    const ends = await topicOffsets(admin, topic);
    expect(ends.map((p) => [p.partition, p.high]).sort()).toEqual([
      [0, "5"],
      [1, "5"],
    ]);

    // Committed offsets are visible to the admin API once the consumer has processed them.
    const consumer = kafka.consumer({ groupId, ...fastConsumer });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    const hasJoined = joined(consumer);
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        seen++;
        await consumer.commitOffsets([
          { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
      },
    });
    await hasJoined;
    await vi.waitFor(() => expect(seen).toBe(10), { timeout: 20_000, interval: 50 });
    await consumer.disconnect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]?.partitions.map((p) => p.offset)).toEqual(["5", "5"]);

    // Moving an idle group's offsets: what a rollback to a fence cut needs.
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "2" }] });
    const moved = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(moved[0]?.partitions.find((p) => p.partition === 0)?.offset).toBe("2");

    await admin.deleteGroups([groupId]);
  });

  const nodeBrokers = inject("kafkaNodeBrokers");
  const netns = firstNodeNetns(inject("shadowState"));
  test.skipIf(nodeBrokers.length === 0 || netns === undefined)(
    "a process inside a node's network namespace reaches the broker through the NODES listener",
    async () => {
      const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
      const probe = join(repoRoot, "deploy/local/kafka/health.mjs");
      const { stdout } = await promisify(execFile)(
        "ip",
        ["netns", "exec", netns ?? "", process.execPath, probe, nodeBrokers.join(",")],
        { timeout: 20_000 },
      );
      // A metadata round trip: the broker answered and advertised an address the namespace
      // can reach (a loopback address would fail from in there).
      expect(stdout).toMatch(/^ok: cluster \S+, 1 broker\(s\), controller 1/);
    },
  );
});

describe("Jaeger", () => {
  test("the query API answers", async () => {
    const services = await jaegerServices();
    expect(Array.isArray(services)).toBe(true);
  });

  test("a span sent over OTLP/HTTP can be read back from the query API", async () => {
    const traceId = randomBytes(16).toString("hex");
    const spanId = randomBytes(8).toString("hex");
    const service = `stack-test-${randomBytes(3).toString("hex")}`;
    const now = BigInt(Date.now()) * 1_000_000n;
    const response = await fetch(`${otlpHttpEndpoint()}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
            scopeSpans: [
              {
                scope: { name: "stack.test" },
                spans: [
                  {
                    traceId,
                    spanId,
                    name: "stack-check",
                    kind: 1,
                    startTimeUnixNano: String(now),
                    endTimeUnixNano: String(now + 5_000_000n),
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);

    const trace = await vi.waitFor(
      async () => {
        const found = await jaegerTrace(traceId);
        if (!found) throw new Error(`trace ${traceId} not in Jaeger yet`);
        return found;
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(trace.spans).toHaveLength(1);
    expect(trace.spans[0]).toMatchObject({ spanID: spanId, operationName: "stack-check" });
    expect(Object.values(trace.processes).map((p) => p.serviceName)).toEqual([service]);
    expect(await jaegerServices()).toContain(service);
  });
});

/** The network namespace of the first node deploy/local/nodes.sh created, if any. */
function firstNodeNetns(shadowState: string): string | undefined {
  const nodesDir = join(shadowState, "nodes");
  if (!existsSync(nodesDir)) return undefined;
  for (const name of readdirSync(nodesDir).sort()) {
    const file = join(nodesDir, name, "node.json");
    if (!existsSync(file)) continue;
    const node = JSON.parse(readFileSync(file, "utf8")) as { netns?: string };
    if (node.netns && existsSync(`/var/run/netns/${node.netns}`)) return node.netns;
  }
  return undefined;
}
