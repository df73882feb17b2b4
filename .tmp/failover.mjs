// Experiment: how long a kafkajs consumer stalls after a partition leader is SIGKILLed.
import { execFileSync } from "node:child_process";
import { Kafka, logLevel } from "kafkajs";

const brokers = ["127.0.0.1:19092", "127.0.0.1:19095", "127.0.0.1:19098"];
const mode = process.argv[2] ?? "resilient";
const kafka = new Kafka({
  clientId: "exp",
  brokers,
  logLevel: logLevel.NOTHING,
  retry: { initialRetryTime: 300, maxRetryTime: 2000, retries: 30 },
});
const admin = kafka.admin();
await admin.connect();
const topic = `exp-${Date.now()}`;
await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
await new Promise((r) => setTimeout(r, 2000));
const md = await admin.fetchTopicMetadata({ topics: [topic] });
const leaders = new Map(md.topics[0].partitions.map((p) => [p.partitionId, p.leader]));
console.log("leaders", [...leaders]);
const opts =
  mode === "resilient"
    ? { metadataMaxAge: 2000, retry: { initialRetryTime: 300, maxRetryTime: 2000, retries: 30 } }
    : {};
const consumer = kafka.consumer({
  groupId: `${topic}-g`,
  maxWaitTimeInMs: 100,
  sessionTimeout: 10000,
  heartbeatInterval: 1000,
  ...opts,
});
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
const last = new Map();
consumer.on(consumer.events.CRASH, (e) =>
  console.log(Date.now() - t0, "CRASH", e.payload.error.message, e.payload.restart),
);
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    last.set(partition, Number(message.value.toString()));
  },
});
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
let t0 = Date.now();
const seq = 0;
const producers = [];
for (const p of [0, 1, 2]) {
  const pr = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await pr.connect();
  producers.push(pr);
  (async () => {
    for (;;) {
      const now = Date.now();
      await pr
        .send({ topic, acks: -1, messages: [{ partition: p, value: String(now) }] })
        .catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
      if (now - t0 > 45000) return;
    }
  })();
}
await new Promise((r) => setTimeout(r, 3000));
const victim = leaders.get(0);
const pid = Number(
  execFileSync("bash", [
    "-c",
    `cat /var/lib/shadow/test-kafka/chaos/run/kafka-${victim}.pid`,
  ]).toString(),
);
t0 = Date.now();
process.kill(pid, "SIGKILL");
console.log("killed node", victim);
const stalls = new Map();
const watch = kafka.admin();
await watch.connect().catch(() => {});
(async () => {
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    try {
      const m = await watch.fetchTopicMetadata({ topics: [topic] });
      const l = m.topics[0].partitions.find((p) => p.partitionId === 0).leader;
      if (l !== victim && l >= 0) {
        console.log("new leader of p0 after", Date.now() - t0, "ms:", l);
        return;
      }
    } catch {}
  }
})();
for (let i = 0; i < 400; i++) {
  await new Promise((r) => setTimeout(r, 100));
  for (const [p, v] of last) {
    const lag = Date.now() - v;
    if (lag > 500) stalls.set(p, Math.max(stalls.get(p) ?? 0, lag));
  }
}
console.log("max lag per partition (ms):", [...stalls].sort());
process.exit(0);
