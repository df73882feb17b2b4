// Kafka health probe for kafka.sh: one real metadata round-trip through kafkajs (the client
// every service uses), not just an open port. A broker that accepts TCP but has no active
// controller yet fails here, which is what callers waiting for "ready" need.
//
//   node health.mjs [brokers]   exit 0 = healthy, 1 = not (reason on stderr)
//
// Plain JavaScript on purpose: it runs before anything else in the stack, with bare node.
import { Kafka, logLevel } from "kafkajs";

const brokers = (process.argv[2] ?? "127.0.0.1:9092").split(",").filter(Boolean);

const kafka = new Kafka({
  clientId: "shadow-health",
  brokers,
  logLevel: logLevel.NOTHING,
  // Generous: at the end of a long test run the machine is busy and the broker holds many
  // topics; a slow answer is still a healthy broker.
  connectionTimeout: 5000,
  requestTimeout: 10000,
  retry: { retries: 2 },
});
const admin = kafka.admin();

try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.controller === null || cluster.controller < 0) {
    throw new Error("no active controller yet");
  }
  const topics = await admin.listTopics();
  // Consumer groups work only once the group coordinator has loaded __consumer_offsets (the
  // first lookup creates it). Asking for a group's coordinator here makes "healthy" mean
  // "tests can join groups now", and spares the first test that warm-up.
  await admin.describeGroups(["shadow-health"]);
  console.log(
    `ok: cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), controller ${cluster.controller}, ${topics.length} topic(s)`,
  );
  await admin.disconnect();
  process.exit(0);
} catch (error) {
  console.error(`unhealthy: ${error instanceof Error ? error.message : String(error)}`);
  await admin.disconnect().catch(() => {});
  process.exit(1);
}
