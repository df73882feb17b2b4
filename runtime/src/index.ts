export { cpuPriorityOf } from "./cpu-priority.ts";
export * from "./errors.ts";
export { deliveryOf } from "./image-delivery.ts";
export * from "./progress/index.ts";
export type * from "./types.ts";
