export { cpuPriorityOf } from "./cpu-priority.ts";
export * from "./errors.ts";
export type * from "./types.ts";
