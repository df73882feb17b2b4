import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { bundleExampleService } from "@shadow/testkit/bundle";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../e2e/repo-root.ts";

/**
 * What the product may not depend on. The testkit (example service, load generator, verifier,
 * probe) measures the product and depends on it, never the other way round; and a library
 * carries trace context with `@opentelemetry/api` alone, so the OpenTelemetry SDK is loaded
 * only by a process whose main starts it, and never sits in a workload's checkpoint.
 */

/** Workspaces that measure or drive the product; every other workspace is product. */
const HARNESS = new Set(["testkit", "scenario", "test"]);
/** Product packages that are libraries (a process's main starts the SDK; these never do). */
const LIBRARIES = ["contract", "events", "migration", "runtime", "workload"];

const TESTKIT_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']@shadow\/testkit(?:\/[^"']*)?["']/;
const SDK_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'](@shadow\/otel\/sdk|@opentelemetry\/(?!api["'/])[^"']+)["']/;
const OTEL_OUTSIDE_API = /node_modules\/@opentelemetry\/(?!api\/)/;

function workspaces(): string[] {
  const root = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    workspaces: string[];
  };
  return root.workspaces.flatMap((pattern) =>
    pattern.endsWith("/*")
      ? readdirSync(join(repoRoot, pattern.slice(0, -2))).map(
          (name) => `${pattern.slice(0, -2)}/${name}`,
        )
      : [pattern],
  );
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(?:[cm]?[jt]s|tsx)$/.test(name)) files.push(path);
  }
  return files;
}

function importsOf(pattern: RegExp, files: string[]): string[] {
  return files
    .filter((file) => pattern.test(readFileSync(file, "utf8")))
    .map((file) => relative(repoRoot, file));
}

const isTest = (file: string) => /\.test\.ts$|\/(test|bench)\//.test(relative(repoRoot, file));

describe("package boundaries", () => {
  const product = workspaces().filter((w) => !HARNESS.has(w));

  it("knows the product packages", () => {
    for (const name of [
      "contract",
      "events",
      "otel",
      "runtime",
      "migration",
      "host",
      "workload",
      "cli",
    ])
      expect(product).toContain(name);
    expect(product.filter((w) => w.startsWith("services/")).length).toBeGreaterThanOrEqual(6);
  });

  it("finds an import of the testkit where there is one", () => {
    expect(TESTKIT_IMPORT.test('import { verify } from "@shadow/testkit";')).toBe(true);
    expect(TESTKIT_IMPORT.test('await import("@shadow/testkit/bundle")')).toBe(true);
    expect(TESTKIT_IMPORT.test("// the example is @shadow/testkit's")).toBe(false);
    expect(SDK_IMPORT.test('import { startTelemetry } from "@shadow/otel/sdk";')).toBe(true);
    expect(SDK_IMPORT.test('import { NodeSDK } from "@opentelemetry/sdk-node";')).toBe(true);
    expect(SDK_IMPORT.test('import { trace } from "@opentelemetry/api";')).toBe(false);
  });

  it("no product package imports or depends on @shadow/testkit", () => {
    const offenders = product.flatMap((w) =>
      importsOf(TESTKIT_IMPORT, sourceFiles(join(repoRoot, w))),
    );
    expect(offenders).toEqual([]);
    for (const w of product) {
      const pkg = JSON.parse(readFileSync(join(repoRoot, w, "package.json"), "utf8"));
      const declared = [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
      ].flatMap((field) => Object.keys(pkg[field] ?? {}));
      expect(declared, w).not.toContain("@shadow/testkit");
    }
  });

  it("no library imports the OpenTelemetry SDK, only @opentelemetry/api", () => {
    const offenders = LIBRARIES.flatMap((w) =>
      importsOf(
        SDK_IMPORT,
        sourceFiles(join(repoRoot, w)).filter((f) => !isTest(f)),
      ),
    );
    expect(offenders).toEqual([]);
  });
});

describe("what a workload process loads", () => {
  const out = mkdtempSync(join(tmpdir(), "shadow-boundaries-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("@shadow/workload's bundle holds no OpenTelemetry beyond the API", async () => {
    const result = await build({
      entryPoints: [join(repoRoot, "workload/src/index.ts")],
      absWorkingDir: repoRoot,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes("workload/src/sdk/workload.ts"))).toBe(true);
    expect(inputs.filter((path) => OTEL_OUTSIDE_API.test(path))).toEqual([]);
    expect(
      inputs.filter(
        (path) => path.startsWith("otel/src/") && !/propagation|traceparent|logger/.test(path),
      ),
    ).toEqual([]);
  }, 60_000);

  it("so does the example service's, which is what a checkpoint holds", async () => {
    const bundle = await bundleExampleService(out);
    const inputs = Object.keys(bundle.inputs);
    expect(inputs.some((path) => path.includes("@opentelemetry/api/"))).toBe(true);
    expect(inputs.filter((path) => OTEL_OUTSIDE_API.test(path))).toEqual([]);
  }, 60_000);
});
