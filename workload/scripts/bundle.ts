import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * Bundles the example service into ONE self-contained file, `dist/example-service.js`, that
 * the local runtime runs inside a runc container with the machine's Node binary (nothing else
 * of the tree is there). CommonJS, because a lone `.js` file with no package.json next to it
 * is read as CommonJS by Node 20; the `package.json` written beside it says so for runs from
 * the tree too.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist");
const outfile = join(outdir, "example-service.js");

mkdirSync(outdir, { recursive: true });
const result = await build({
  entryPoints: [join(root, "src/example/main.ts")],
  outfile,
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
writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
const inputs = Object.keys(result.metafile.inputs).length;
process.stdout.write(
  `${outfile}: ${(statSync(outfile).size / 1024).toFixed(0)} KiB from ${inputs} modules\n`,
);
