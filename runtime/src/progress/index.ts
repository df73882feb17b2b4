export { InstanceGoneError } from "./instance-gone.ts";
export type { InstanceProgress } from "./instance-progress.ts";
export { statusClient } from "./status-client.ts";
