import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleExampleService } from "../src/example/bundle.ts";

/** `npm run bundle`: the example service as one file in `dist/` (see bundleExampleService). */
const outdir = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const { file, bytes, modules } = await bundleExampleService(outdir);
process.stdout.write(`${file}: ${(bytes / 1024).toFixed(0)} KiB from ${modules} modules\n`);
