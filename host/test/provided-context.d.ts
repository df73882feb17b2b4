// The endpoint test/setup/local-stack.ts provides to integration tests (a subset, same type).
declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string[];
  }
}

export {};
