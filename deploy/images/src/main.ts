import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildImages } from "./build.ts";

/**
 * `tsx deploy/images/src/main.ts --out DIR --node NODE --root ROOTFS [--strip] [--only a,b]`:
 * builds shadow's images (see build.ts) and prints images.json's summary as JSON on stdout;
 * progress goes to stderr.
 */
const { values } = parseArgs({
  options: {
    out: { type: "string" },
    node: { type: "string", default: process.execPath },
    root: { type: "string" },
    strip: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
if (!values.out || !values.root) {
  process.stderr.write(
    "usage: main.ts --out DIR --root ROOTFS [--node NODE] [--strip] [--only a,b]\n",
  );
  process.exit(2);
}
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
const result = await buildImages({
  repoRoot,
  out: values.out,
  node: values.node,
  root: values.root,
  strip: values.strip,
  ...(values.only ? { only: values.only.split(",").filter(Boolean) } : {}),
  log: (line) => process.stderr.write(`images: ${line}\n`),
});
process.stdout.write(
  `${JSON.stringify({
    archive: result.archive,
    archiveBytes: result.archiveBytes,
    totalMs: result.totalMs,
    skipped: result.skipped,
    images: result.images.map((i) => ({
      ref: i.ref,
      digest: i.digest,
      bytes: i.bytes,
      reused: i.reused,
    })),
  })}\n`,
);
