// What test/setup/local-stack.ts hands to every integration test through vitest's
// provide/inject: `inject("kafkaBrokers")` is typed by this declaration.
declare module "vitest" {
  export interface ProvidedContext {
    /** Brokers for host processes (tests, services): ["127.0.0.1:9092"] by default. */
    kafkaBrokers: string[];
    /**
     * Brokers for processes inside node network namespaces (Kafka's NODES listener,
     * ["10.213.0.1:9094"]); empty when the broker has no such listener.
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
  }
}

// Marks this file as a module, so the block above augments vitest instead of replacing it.
export {};
