import { join } from "node:path";
import { bundleExampleService as bundleInto } from "@shadow/testkit/bundle";
import { cacheDir } from "./paths.ts";

/**
 * The example service as one self-contained file in the cache: instances run it with the
 * machine's Node binary inside a container whose root file system has no node_modules.
 */
export async function bundleExampleService(): Promise<string> {
  return (await bundleInto(join(cacheDir, "bundles"))).file;
}
