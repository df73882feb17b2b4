export { type LocalRuntimeConfig, loadLocalRuntimeConfig } from "./config.ts";
export { DirectoryImageStore, type ImageStore } from "./image-store.ts";
export { createLocalRuntime, LocalRuntime, type LocalRuntimeOptions } from "./local-runtime.ts";
