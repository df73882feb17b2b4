import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { cacheDir, repoRoot } from "./paths.ts";

/**
 * The example service as one self-contained file: instances run it with the machine's Node
 * binary inside a container whose root file system has no node_modules.
 */
export async function bundleExampleService(): Promise<string> {
  const outfile = join(cacheDir, "bundles", "example-service.mjs");
  await mkdir(join(cacheDir, "bundles"), { recursive: true });
  await build({
    entryPoints: [join(repoRoot, "workload/src/example/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    // Some dependencies still call require(); give the ES module bundle one.
    banner: {
      js: "import { createRequire as __shadowRequire } from 'node:module'; const require = __shadowRequire(import.meta.url);",
    },
  });
  await stat(outfile);
  return outfile;
}
