import { build, type Metafile } from "esbuild";

export interface Bundle {
  /** The service as one ES module: everything but `external`, which it imports at run time. */
  code: Uint8Array;
  /** Every source file in it, relative to the repository root. */
  inputs: string[];
}

/**
 * Packages kept out of the bundle and shipped beside it, in the image's node_modules: the
 * OpenTelemetry kafkajs instrumentation patches kafkajs as Node loads it (see
 * otel/src/kafkajs.ts), which it cannot do to code inlined in a bundle.
 */
export const EXTERNAL_PACKAGES = ["kafkajs"] as const;

/**
 * Bundles a service's entry with esbuild into one ES module for Node 20 (ES modules because
 * the services' mains await at top level). Paths are taken relative to `repoRoot`, and the
 * output holds no comments, so the same sources give the same bytes on any checkout.
 * Identifiers are kept: a stack trace from a running service still names its functions.
 */
export async function bundleService(repoRoot: string, entry: string): Promise<Bundle> {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile: "main.mjs",
    write: false,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    external: [...EXTERNAL_PACKAGES],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    sourcemap: false,
    metafile: true,
    logLevel: "silent",
    // CommonJS dependencies inside an ES module bundle still call require(), __filename and
    // __dirname: give the module those, from its own URL.
    banner: {
      js: [
        'import { createRequire as __shadowRequire } from "node:module";',
        'import { fileURLToPath as __shadowPath } from "node:url";',
        "const require = __shadowRequire(import.meta.url);",
        "const __filename = __shadowPath(import.meta.url);",
        'const __dirname = __filename.slice(0, __filename.lastIndexOf("/"));',
      ].join("\n"),
    },
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`);
  return { code: output.contents, inputs: inputsOf(result.metafile) };
}

function inputsOf(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs)
    .filter((path) => !path.startsWith("<"))
    .sort();
}
