import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseClients } from "./endpoints.ts";

const run = promisify(execFile);
const kafkaScript = fileURLToPath(new URL("../../deploy/local/kafka.sh", import.meta.url));

/**
 * Brokers of a test project's own, started by deploy/local/kafka.sh on ports and under a state
 * directory of their own, beside the stack's broker (which tests never stop or restart).
 * Plain data, so a globalSetup can hand it to the tests through `provide`.
 */
export interface OwnKafkaSpec {
  /** What they are for; also their directory under $SHADOW_STATE/test-kafka. */
  name: string;
  /** Their $SHADOW_STATE for kafka.sh: the brokers' data, pid files and logs. */
  state: string;
  /** SHADOW_KAFKA_PORT: node n listens on port + 3(n-1) .. port + 3(n-1) + 2. */
  port: number;
  mode: "single" | "cluster";
  /** SHADOW_KAFKA_VERSION; absent: kafka.sh's default. */
  version?: string;
}

export interface OwnKafkaBrokers {
  /** Every node's listener for host processes. */
  brokers: string[];
  /** Every node's NODES listener, for processes inside node network namespaces. */
  nodeBrokers: string[];
}

/**
 * The test projects' brokers. Their ports start at SHADOW_TEST_KAFKA_PORT (default 19092),
 * far from the stack's 9092-9094: the chaos cluster takes 9 ports from there, the chaos
 * project's single broker 3 from +100, the previous Kafka line's broker 3 from +200.
 */
const testBrokers = {
  chaos: { offset: 0, mode: "cluster" },
  "chaos-single": { offset: 100, mode: "single" },
  "kafka-3.9": { offset: 200, mode: "single", version: "3.9.1" },
} as const satisfies Record<
  string,
  { offset: number; mode: OwnKafkaSpec["mode"]; version?: string }
>;

export function testKafkaSpec(
  name: keyof typeof testBrokers,
  env: NodeJS.ProcessEnv = process.env,
): OwnKafkaSpec {
  const chosen: { offset: number; mode: OwnKafkaSpec["mode"]; version?: string } =
    testBrokers[name];
  const base = Number(env.SHADOW_TEST_KAFKA_PORT ?? 19092);
  return {
    name,
    state: join(env.SHADOW_STATE ?? "/var/lib/shadow", "test-kafka", name),
    port: base + chosen.offset,
    mode: chosen.mode,
    ...(chosen.version ? { version: chosen.version } : {}),
  };
}

/**
 * Runs `kafka.sh <args>` for these brokers. `start` is idempotent and waits until every node
 * is healthy: after a node was killed, it starts that one alone.
 */
export async function ownKafka(spec: OwnKafkaSpec, ...args: string[]): Promise<string> {
  const { stdout } = await run("bash", [kafkaScript, ...args], {
    env: {
      ...process.env,
      SHADOW_STATE: spec.state,
      SHADOW_KAFKA_PORT: String(spec.port),
      SHADOW_KAFKA_MODE: spec.mode,
      ...(spec.version ? { SHADOW_KAFKA_VERSION: spec.version } : {}),
    },
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** Where these brokers listen (whether they run yet or not), as kafka.sh computes it. */
export async function ownKafkaBrokers(spec: OwnKafkaSpec): Promise<OwnKafkaBrokers> {
  const clients = parseClients(await ownKafka(spec, "brokers"));
  const list = (value: string | undefined) => (value ?? "").split(",").filter(Boolean);
  return {
    brokers: list(clients.SHADOW_KAFKA_BROKERS),
    nodeBrokers: list(clients.SHADOW_NODE_KAFKA_BROKERS),
  };
}

/** Node ids and the pids of their JVMs, for the nodes that run. */
export async function brokerPids(spec: OwnKafkaSpec): Promise<Map<number, number>> {
  const pids = new Map<number, number>();
  for (const line of (await ownKafka(spec, "pids")).split("\n")) {
    const [node, pid] = line.trim().split(/\s+/).map(Number);
    if (node !== undefined && pid !== undefined && pid > 0) pids.set(node, pid);
  }
  return pids;
}

/** Starts the brokers, or checks them: seconds when every node runs. */
export async function startOwnKafka(spec: OwnKafkaSpec): Promise<void> {
  await ownKafka(spec, "start");
}
