import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ProvidedContext } from "vitest";

/**
 * Where the local stack listens, from the same environment variables the services read
 * (SHADOW_KAFKA_BROKERS, OTEL_EXPORTER_OTLP_ENDPOINT, SHADOW_JAEGER_QUERY, SHADOW_STATE),
 * defaulting to what deploy/local starts.
 */
export function stackEndpoints(env: NodeJS.ProcessEnv = process.env): ProvidedContext {
  const shadowState = env.SHADOW_STATE ?? "/var/lib/shadow";
  return {
    kafkaBrokers: splitList(env.SHADOW_KAFKA_BROKERS ?? "127.0.0.1:9092"),
    kafkaNodeBrokers: env.SHADOW_NODE_KAFKA_BROKERS
      ? splitList(env.SHADOW_NODE_KAFKA_BROKERS)
      : nodeListenerBrokers(shadowState),
    jaegerQueryUrl: trimSlash(env.SHADOW_JAEGER_QUERY ?? "http://127.0.0.1:16686"),
    otlpHttpEndpoint: trimSlash(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://127.0.0.1:4318"),
    otlpGrpcEndpoint: "http://127.0.0.1:4317",
    shadowState,
  };
}

/**
 * The NODES listener kafka.sh advertises when the node bridge exists. Read from the broker's
 * own config, because the listener set follows the machine (no bridge, no listener).
 */
function nodeListenerBrokers(shadowState: string): string[] {
  let config: string;
  try {
    config = readFileSync(join(shadowState, "kafka", "server.properties"), "utf8");
  } catch {
    return [];
  }
  const advertised = /^advertised\.listeners=(.*)$/m.exec(config)?.[1] ?? "";
  return splitList(advertised)
    .filter((listener) => listener.startsWith("NODES://"))
    .map((listener) => listener.slice("NODES://".length));
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
