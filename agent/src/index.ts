export { createAgentApp } from "./app.ts";
export { type AgentConfig, loadAgentConfig } from "./config.ts";
export { restoreSpec } from "./restore-spec.ts";
export { applyRootfsDiff, checkRootfsDiff, UnsafeRootfsDiffError } from "./rootfs-diff.ts";
