// The endpoints test/setup/local-stack.ts provides to integration tests (a subset, same types).
declare module "vitest" {
  export interface ProvidedContext {
    jaegerQueryUrl: string;
    otlpHttpEndpoint: string;
  }
}

export {};
