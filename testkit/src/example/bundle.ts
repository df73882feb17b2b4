import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const exampleMain = join(dirname(fileURLToPath(import.meta.url)), "main.ts");

/**
 * Bundles the example service into ONE self-contained file, `<outdir>/example-service.js`,
 * that the local runtime runs inside a runc container with the machine's Node binary (nothing
 * else of the tree is there). CommonJS, because a lone `.js` file with no package.json next to
 * it is read as CommonJS by Node 20; the `package.json` written beside it says so for runs
 * from inside a package tree too. Resolves with the file's path, its size, and how many of its
 * bytes each input file contributed (what a footprint check reads).
 */
export async function bundleExampleService(
  outdir: string,
): Promise<{ file: string; bytes: number; modules: number; inputs: Record<string, number> }> {
  const file = join(outdir, "example-service.js");
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: [exampleMain],
    outfile: file,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
    // Some dependencies build a `require` from import.meta.url; in CommonJS the file's own URL
    // is the same thing.
    define: { "import.meta.url": "__bundleUrl" },
    banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
  await writeFile(
    join(outdir, "package.json"),
    `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`,
  );
  return {
    file,
    bytes: (await stat(file)).size,
    modules: Object.keys(result.metafile.inputs).length,
    inputs: Object.fromEntries(
      Object.entries(result.metafile.outputs[relative(process.cwd(), file)]?.inputs ?? {}).map(
        ([path, { bytesInOutput }]) => [path, bytesInOutput],
      ),
    ),
  };
}
