export * from "./catalog/index.ts";
export * from "./topics.ts";
