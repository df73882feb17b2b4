import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProvidedContext } from "vitest";

/**
 * Where the local stack listens, from the same environment variables the services read
 * (SHADOW_KAFKA_BROKERS, SHADOW_NODE_KAFKA_BROKERS, OTEL_EXPORTER_OTLP_ENDPOINT,
 * SHADOW_JAEGER_QUERY, SHADOW_STATE), else from what deploy/local started.
 */
export function stackEndpoints(env: NodeJS.ProcessEnv = process.env): ProvidedContext {
  const shadowState = env.SHADOW_STATE ?? "/var/lib/shadow";
  const kafka = stackKafka(shadowState);
  return {
    kafkaBrokers: splitList(
      env.SHADOW_KAFKA_BROKERS ?? kafka.SHADOW_KAFKA_BROKERS ?? "127.0.0.1:9092",
    ),
    // A stack without clients.env (a broker started by an older kafka.sh) has one node, whose
    // NODES listener is on the bridge at the default port.
    kafkaNodeBrokers: splitList(
      env.SHADOW_NODE_KAFKA_BROKERS ?? kafka.SHADOW_NODE_KAFKA_BROKERS ?? "10.213.0.1:9094",
    ),
    jaegerQueryUrl: trimSlash(env.SHADOW_JAEGER_QUERY ?? "http://127.0.0.1:16686"),
    otlpHttpEndpoint: trimSlash(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://127.0.0.1:4318"),
    otlpGrpcEndpoint: "http://127.0.0.1:4317",
    shadowState,
    gatewayPort: Number(env.SHADOW_TEST_GATEWAY_PORT ?? 8480),
  };
}

/**
 * The brokers deploy/local/kafka.sh started for the stack, from the `clients.env` it writes
 * beside their state: every node's listener for host processes and every node's NODES listener
 * (absent without the node bridge). One record, so a three-node cluster is named in full.
 */
function stackKafka(shadowState: string): Record<string, string | undefined> {
  try {
    return parseClients(readFileSync(join(shadowState, "kafka", "clients.env"), "utf8"));
  } catch {
    return {};
  }
}

/** `KEY=VALUE` lines (kafka.sh's clients.env and `kafka.sh brokers`); `#` lines are comments. */
export function parseClients(text: string): Record<string, string | undefined> {
  const entries: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) entries[match[1]] = match[2] ?? "";
  }
  return entries;
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
