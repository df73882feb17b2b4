export { type LocalRuntimeConfig, loadLocalRuntimeConfig } from "./config.ts";
export type { BuildInput, CheckpointDescription, ImageStore } from "./image-store.ts";
export { createLocalRuntime, LocalRuntime, type LocalRuntimeOptions } from "./local-runtime.ts";
export { OciImageStore } from "./oci-image-store.ts";
