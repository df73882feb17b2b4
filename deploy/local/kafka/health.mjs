// Kafka health probe for kafka.sh: real metadata round-trips through kafkajs (the client every
// service uses), not just open ports. A broker that accepts TCP but has no active controller
// yet fails here, which is what callers waiting for "ready" need.
//
//   node health.mjs [brokers] [count]   exit 0 = healthy, 1 = not (reason on stderr)
//
// Every broker in the list must answer by itself, and the cluster must have `count` brokers
// registered (default 1): a three-node cluster answers once two nodes run, and a node killed a
// moment ago stays registered until the controller fences it, so only both checks together
// say that every node is back.
//
// Plain JavaScript on purpose: it runs before anything else in the stack, with bare node.
import { Kafka, logLevel } from "kafkajs";

const brokers = (process.argv[2] ?? "127.0.0.1:9092").split(",").filter(Boolean);
const expected = Number(process.argv[3] ?? "1");

const client = (list) =>
  new Kafka({
    clientId: "shadow-health",
    brokers: list,
    logLevel: logLevel.NOTHING,
    // Generous: at the end of a long test run the machine is busy and the broker holds many
    // topics; a slow answer is still a healthy broker.
    connectionTimeout: 5000,
    requestTimeout: 10000,
    retry: { retries: 2 },
  }).admin();

async function describe(list) {
  const admin = client(list);
  try {
    await admin.connect();
    return await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

const admin = client(brokers);
try {
  for (const broker of brokers.length > 1 ? brokers : []) {
    await describe([broker]).catch((error) => {
      throw new Error(`${broker}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.controller === null || cluster.controller < 0) {
    throw new Error("no active controller yet");
  }
  if (cluster.brokers.length < expected) {
    throw new Error(`${cluster.brokers.length} of ${expected} brokers registered`);
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
