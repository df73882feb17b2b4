// What test/setup/local-stack.ts (and, with brokers of their own, test/setup/own-kafka-setup.ts)
// hands to every test through vitest's provide/inject: `inject("kafkaBrokers")` is typed by
// this declaration.
import type { OwnKafkaSpec } from "./own-kafka.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /**
     * Brokers for host processes (tests, services): ["127.0.0.1:9092"] for the stack's one
     * node, every node of a cluster.
     */
    kafkaBrokers: string[];
    /**
     * Brokers for processes inside node network namespaces (Kafka's NODES listeners,
     * ["10.213.0.1:9094"]); empty when the brokers have no such listener.
     */
    kafkaNodeBrokers: string[];
    /** Jaeger's query API base URL, e.g. "http://127.0.0.1:16686". */
    jaegerQueryUrl: string;
    /** OTLP/HTTP base URL (append /v1/traces), e.g. "http://127.0.0.1:4318". */
    otlpHttpEndpoint: string;
    /** OTLP/gRPC endpoint, e.g. "http://127.0.0.1:4317". */
    otlpGrpcEndpoint: string;
    /** The stack's state directory ($SHADOW_STATE): nodes, logs, pid files. */
    shadowState: string;
    /** Where the tests' gateway listens: each project its own, so two can run at once. */
    gatewayPort: number;
    /** The project's own brokers (the chaos cluster, the previous Kafka line); absent: the stack's. */
    ownKafka?: OwnKafkaSpec;
  }
}
